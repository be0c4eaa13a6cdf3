// The netback/blkback-like script (issue 14 §3; docs/semantics.md §19), as generators: the run's
// focus is the script's cast (the granter is the frontend, the grantee the backend, the focus
// refs the refs the frontend's first allocation hands out), so that the frontend's grants, the
// backend's map batches, its I/O and its unmaps, and the frontend's ends and frees meet in every
// order fast-check draws. A batch now and then names a ref the frontend did not grant (a
// neighbour, a reserved ref, one past the table) at any place in it, so that it partially fails.

import fc from 'fast-check';
import { DEFAULT_GUEST_REFS, initialGfn, profileOf } from '../../src/configDefaults.ts';
import type { GrantConfig } from '../../src/config.ts';
import type { Op, OpKind } from '../../src/ops/op.ts';
import { BACKEND_MAX_SEGMENTS, BACKEND_OP_KINDS } from '../../src/ops/op.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../../src/xen/abi.ts';
import type { Focus, OpSpace } from './ops.ts';
import { focusArbitrary } from './ops.ts';
import { record } from './record.ts';

export type BackendKind = (typeof BACKEND_OP_KINDS)[number];

export function isBackendKind(kind: OpKind): kind is BackendKind {
  return (BACKEND_OP_KINDS as readonly string[]).includes(kind);
}

/** The refs `count` allocations of domain `dom`'s library hand out first (a strict domain
 * names its refs itself: the first ones). Linux and Mirage: 8, 9, …; Mini-OS: its top refs. */
export function firstRefs(config: GrantConfig, dom: number, count: number): number[] {
  const size = config.guestRefs ?? DEFAULT_GUEST_REFS;
  const refs: number[] = [];
  for (let i = 0; i < count; i++) {
    refs.push(profileOf(config, dom) === 'mini-os' ? size - 1 - i : GNTTAB_NR_RESERVED_ENTRIES + i);
  }
  return refs;
}

/** The script's cast: a frontend (granter) and a backend (grantee) apart, and the 1..3 refs the
 * frontend's allocations hand out first. Needs two domains. */
export function backendFocusArbitrary(config: GrantConfig): fc.Arbitrary<Focus> {
  return fc
    .tuple(focusArbitrary(config), fc.integer({ min: 1, max: 3 }), fc.nat())
    .map(([focus, count, shift]) => {
      const n = config.domains;
      const grantee =
        focus.grantee !== focus.granter || n < 2
          ? focus.grantee
          : (focus.granter + 1 + (shift % (n - 1))) % n;
      return { ...focus, grantee, refs: firstRefs(config, focus.granter, count) };
    });
}

/** A ref the frontend did not grant: a table ref outside the focus, a reserved one, or one past
 * the grant table. */
function strayRef(space: OpSpace, focus: Focus): fc.Arbitrary<number> {
  const size = space.config.guestRefs ?? DEFAULT_GUEST_REFS;
  const others: number[] = [];
  for (let r = GNTTAB_NR_RESERVED_ENTRIES; r < size; r++)
    if (!focus.refs.includes(r)) others.push(r);
  return fc.oneof(
    { arbitrary: others.length > 0 ? fc.constantFrom(...others) : fc.constant(size), weight: 3 },
    { arbitrary: fc.constantFrom(0, GNTTAB_NR_RESERVED_ENTRIES - 1), weight: 1 },
    { arbitrary: fc.constant(512 * space.config.maxGrantFrames), weight: 1 },
  );
}

/** The segments of one request: the focus refs in some order (some of them, sometimes), and
 * now and then a stray ref inserted anywhere. */
function segments(space: OpSpace, focus: Focus): fc.Arbitrary<readonly number[]> {
  const granted: fc.Arbitrary<readonly number[]> = fc
    .shuffledSubarray([...focus.refs], { minLength: 1 })
    .chain((refs) =>
      fc.oneof(
        { arbitrary: fc.constant(refs), weight: 4 },
        { arbitrary: fc.constant([...focus.refs]), weight: 3 },
      ),
    );
  return fc.oneof(
    { arbitrary: granted, weight: 3 },
    {
      arbitrary: fc.tuple(granted, strayRef(space, focus), fc.nat()).map(([refs, stray, at]) => {
        const out = refs.slice(0, BACKEND_MAX_SEGMENTS - 1);
        out.splice(at % (out.length + 1), 0, stray);
        return out;
      }),
      weight: 2,
    },
  );
}

/** A request id: mostly the first two, so that I/O and unmaps name live requests. */
const request = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1), weight: 4 },
  { arbitrary: fc.constant(2), weight: 1 },
);

/** Every backend op of `kind` the space draws: acting for the focus backend only (a backend
 * domain's grant mappings are all its driver's, §19). */
export function backendOpArbitrary(space: OpSpace, kind: BackendKind): fc.Arbitrary<Op> {
  const focus = space.focus;
  const dom = focus?.grantee ?? 0;
  switch (kind) {
    case 'backend_map': {
      const frontend = focus === undefined ? space.existingDomain() : fc.constant(focus.granter);
      const refs =
        focus === undefined
          ? fc.array(space.ref(), { minLength: 1, maxLength: BACKEND_MAX_SEGMENTS })
          : segments(space, focus);
      return record({
        kind: fc.constant(kind),
        dom: fc.constant(dom),
        request,
        frontend,
        refs,
        readonly: fc.boolean(),
      });
    }
    case 'backend_io':
      return record({
        kind: fc.constant(kind),
        dom: fc.constant(dom),
        request,
        write: fc.boolean(),
      });
    case 'backend_unmap':
      return record({ kind: fc.constant(kind), dom: fc.constant(dom), request });
  }
}

/** The backends suite's driver rule: the backend domain maps only through its driver, so its
 * own map, unmap and unmap_and_replace calls become the driver's (I/O, or an unmap of a
 * request). */
export function backendDriverOp(focus: Focus, op: Op): Op {
  const backend = focus.grantee;
  if (!('caller' in op) || op.caller !== backend) return op;
  switch (op.kind) {
    case 'map_grant_ref':
    case 'unmap_and_replace':
      return { kind: 'backend_io', dom: backend, request: 0, write: false };
    case 'unmap_grant_ref':
      return { kind: 'backend_unmap', dom: backend, request: 0 };
    default:
      return op;
  }
}

/** The frontend's side of the script, coherent with the cast: it grants the focus refs to the
 * backend (writable mostly: a read-only grant refuses the backend's writable map), ends them,
 * allocates as many refs as the script has and frees them. Undefined for the other kinds. */
export function frontendScriptArbitrary(
  space: OpSpace,
  kind: OpKind,
): fc.Arbitrary<Op> | undefined {
  const focus = space.focus;
  if (focus === undefined) return undefined;
  const dom = fc.constant(focus.granter);
  const ref = fc.constantFrom(...focus.refs);
  switch (kind) {
    case 'grant_access':
      return record({
        kind: fc.constant(kind),
        dom,
        ref,
        grantee: fc.constant(focus.grantee),
        gfn: fc
          .nat({ max: Math.max(0, space.config.pagesPerDomain - 1) })
          .map((i) => initialGfn(space.config, focus.granter, i)),
        readonly: fc.oneof(
          { arbitrary: fc.constant(false), weight: 3 },
          { arbitrary: fc.constant(true), weight: 1 },
        ),
      });
    case 'end_access':
    case 'free_ref':
      return record({ kind: fc.constant(kind), dom, ref });
    case 'alloc_refs':
      return record({
        kind: fc.constant(kind),
        dom,
        count: fc.constant(
          profileOf(space.config, focus.granter) === 'mini-os' ? 1 : focus.refs.length,
        ),
      });
    default:
      return undefined;
  }
}
