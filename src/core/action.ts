// The core protocol's seven operations as plain data, with a text form used in reports and
// parsed back (`map(g1, x0, ref1, write)`): g is a grantee, x a granter, f a frame.

export type CoreAction =
  /** d grants `grantee` access to its frame `frame`. */
  | {
      readonly kind: 'grant_access';
      readonly dom: number;
      readonly ref: number;
      readonly grantee: number;
      readonly frame: number;
      readonly readonly: boolean;
    }
  | { readonly kind: 'end_access'; readonly dom: number; readonly ref: number }
  /** d offers its entry `ref` to receive one frame from `grantee`. */
  | {
      readonly kind: 'grant_transfer';
      readonly dom: number;
      readonly ref: number;
      readonly grantee: number;
    }
  | { readonly kind: 'end_transfer'; readonly dom: number; readonly ref: number }
  /** grantee g maps (or unmaps) granter x's entry `ref`, for reading or writing. */
  | {
      readonly kind: 'map' | 'unmap';
      readonly grantee: number;
      readonly granter: number;
      readonly ref: number;
      readonly write: boolean;
    }
  /** g gives its frame to x through x's transfer-waiting entry `ref`. */
  | {
      readonly kind: 'transfer';
      readonly grantee: number;
      readonly frame: number;
      readonly granter: number;
      readonly ref: number;
    };

export type CoreActionKind = CoreAction['kind'];

export function formatCoreAction(a: CoreAction): string {
  switch (a.kind) {
    case 'grant_access':
      return `grant_access(d${a.dom}, ref${a.ref}, g${a.grantee}, f${a.frame}, ${a.readonly ? 'ro' : 'rw'})`;
    case 'end_access':
    case 'end_transfer':
      return `${a.kind}(d${a.dom}, ref${a.ref})`;
    case 'grant_transfer':
      return `grant_transfer(d${a.dom}, ref${a.ref}, g${a.grantee})`;
    case 'map':
    case 'unmap':
      return `${a.kind}(g${a.grantee}, x${a.granter}, ref${a.ref}, ${a.write ? 'write' : 'read'})`;
    case 'transfer':
      return `transfer(g${a.grantee}, f${a.frame}, x${a.granter}, ref${a.ref})`;
    default: {
      const never: never = a;
      return never;
    }
  }
}

const ARG_PREFIX: Readonly<Record<CoreActionKind, readonly string[]>> = {
  grant_access: ['d', 'ref', 'g', 'f', ''],
  end_access: ['d', 'ref'],
  grant_transfer: ['d', 'ref', 'g'],
  end_transfer: ['d', 'ref'],
  map: ['g', 'x', 'ref', ''],
  unmap: ['g', 'x', 'ref', ''],
  transfer: ['g', 'f', 'x', 'ref'],
};

function isKind(k: string): k is CoreActionKind {
  return Object.hasOwn(ARG_PREFIX, k);
}

/** The inverse of formatCoreAction; undefined for anything it would not print. */
export function parseCoreAction(text: string): CoreAction | undefined {
  const m = /^([a-z_]+)\(([^)]*)\)$/.exec(text.trim());
  if (!m?.[1] || m[2] === undefined || !isKind(m[1])) return undefined;
  const kind = m[1];
  const args = m[2].split(',').map((s) => s.trim());
  const prefixes = ARG_PREFIX[kind];
  if (args.length !== prefixes.length) return undefined;
  const n: number[] = [];
  let flag = '';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const prefix = prefixes[i] ?? '';
    if (prefix === '') {
      flag = arg;
      continue;
    }
    const digits = arg.slice(prefix.length);
    if (!arg.startsWith(prefix) || !/^(0|[1-9][0-9]*)$/.test(digits)) return undefined;
    n.push(Number(digits));
  }
  const [p0 = 0, p1 = 0, p2 = 0, p3 = 0] = n;
  switch (kind) {
    case 'grant_access':
      if (flag !== 'ro' && flag !== 'rw') return undefined;
      return { kind, dom: p0, ref: p1, grantee: p2, frame: p3, readonly: flag === 'ro' };
    case 'end_access':
    case 'end_transfer':
      return { kind, dom: p0, ref: p1 };
    case 'grant_transfer':
      return { kind, dom: p0, ref: p1, grantee: p2 };
    case 'map':
    case 'unmap':
      if (flag !== 'read' && flag !== 'write') return undefined;
      return { kind, grantee: p0, granter: p1, ref: p2, write: flag === 'write' };
    case 'transfer':
      return { kind, grantee: p0, frame: p1, granter: p2, ref: p3 };
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** What in `a` names no domain, ref or frame of config `c` (a trace's step that no search of
 * that config could take), or null. */
export function coreActionRangeProblem(
  a: CoreAction,
  c: { readonly domains: number; readonly refs: number; readonly frames: number },
): string | null {
  const named: [string, number, number][] = [['ref', a.ref, c.refs]];
  if ('dom' in a) named.push(['d', a.dom, c.domains]);
  if ('grantee' in a) named.push(['g', a.grantee, c.domains]);
  if ('granter' in a) named.push(['x', a.granter, c.domains]);
  if ('frame' in a) named.push(['f', a.frame, c.frames]);
  const out = named.find(([, v, n]) => v >= n);
  if (out === undefined) return null;
  const [prefix, v, n] = out;
  const what = prefix === 'ref' ? 'refs' : prefix === 'f' ? 'frames' : 'domains';
  return `${prefix}${v} is outside the config's ${n} ${what} (0..${n - 1})`;
}
