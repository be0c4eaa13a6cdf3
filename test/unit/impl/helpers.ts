// Small op builders and accessors for the impl's unit tests.

import type { GrantConfig } from '../../../src/config.ts';
import { makeConfig } from '../../../src/config.ts';
import { GrantSystem, withPauses } from '../../../src/impl/index.ts';
import type { ImplParts, Pause } from '../../../src/impl/index.ts';
import type {
  DomId,
  MapGrantRefArgs,
  Op,
  TransferArgs,
  UnmapGrantRefArgs,
} from '../../../src/ops/op.ts';
import type {
  MapElementResult,
  MapGrantRefResult,
  OpResult,
  TransferResult,
  UnmapGrantRefResult,
} from '../../../src/ops/result.ts';

export function system(overrides: Partial<GrantConfig> = {}, parts: Partial<ImplParts> = {}) {
  return new GrantSystem(makeConfig(overrides), parts);
}

export function expectKind<K extends OpResult['kind']>(
  r: OpResult,
  kind: K,
): Extract<OpResult, { kind: K }> {
  if (r.kind !== kind) throw new Error(`expected ${kind}, got ${r.kind}`);
  return r as Extract<OpResult, { kind: K }>;
}

export function map(
  s: GrantSystem,
  caller: DomId,
  ...batch: MapGrantRefArgs[]
): readonly MapElementResult[] {
  return expectKind(s.apply({ kind: 'map_grant_ref', caller, batch }), 'map_grant_ref').results;
}

/** One map element; its result. */
export function map1(s: GrantSystem, caller: DomId, args: MapGrantRefArgs): MapElementResult {
  const r = map(s, caller, args)[0];
  if (r === undefined) throw new Error('no result');
  return r;
}

export function handleOf(r: MapElementResult): number {
  if (!('handle' in r)) throw new Error(`map failed with ${r.status}`);
  return r.handle;
}

export function unmap(s: GrantSystem, caller: DomId, ...batch: UnmapGrantRefArgs[]): number[] {
  const r: UnmapGrantRefResult = expectKind(
    s.apply({ kind: 'unmap_grant_ref', caller, batch }),
    'unmap_grant_ref',
  );
  return [...r.statuses];
}

export function transfer(s: GrantSystem, caller: DomId, ...batch: TransferArgs[]): number[] {
  const r: TransferResult = expectKind(s.apply({ kind: 'transfer', caller, batch }), 'transfer');
  return [...r.statuses];
}

export function grant(
  s: GrantSystem,
  dom: DomId,
  ref: number,
  grantee: DomId,
  gfn: number,
  readonly = false,
): OpResult {
  return s.apply({ kind: 'grant_access', dom, ref, grantee, gfn, readonly });
}

export function apply(s: GrantSystem, ops: readonly Op[]): OpResult[] {
  return ops.map((op) => s.apply(op));
}

export function statusesOf(results: MapGrantRefResult['results']): number[] {
  return results.map((r) => r.status);
}

/** Run `op` step by step, calling `before` at each pause (before the access or lock op it
 * names); the op's result and every pause, in order. */
export function stepped(
  s: GrantSystem,
  op: Op,
  before: (p: Pause) => void = () => {},
): { result: OpResult; pauses: Pause[] } {
  const steps = s.steps(op);
  const pauses: Pause[] = [];
  return withPauses(() => {
    for (let next = steps.next(); ; next = steps.next()) {
      if (next.done === true) return { result: next.value, pauses };
      pauses.push(next.value);
      before(next.value);
    }
  });
}

/** The shared-entry accesses among `pauses`, as "kind field dom:ref". */
export function sharedAccesses(pauses: readonly Pause[]): string[] {
  return pauses.flatMap((p) =>
    p.kind === 'shared' ? [`${p.access} ${p.field} ${p.dom}:${p.ref}`] : [],
  );
}
