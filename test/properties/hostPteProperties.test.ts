// The step properties of unmap_and_replace (replace_grant_pv_mapping, steal_linear_address): each
// holds on real transitions, a failed one that zapped new_addr's PTE included, and fires when the
// transition is corrupted in exactly what it promises.
import { describe, expect, it } from 'vitest';
import {
  failureAtomicity,
  replaceTouchesNamedSlots,
  STEP_PROPERTIES,
} from '../../properties/invariants/stepProperties.ts';
import { makeConfig } from '../../src/config.ts';
import type { Transition } from '../../src/harness/invariant.ts';
import { initialState, step } from '../../src/model/index.ts';
import type { HostMapping, ModelState } from '../../src/model/state.ts';
import { updateDomain } from '../../src/model/update.ts';
import type { Op } from '../../src/ops/op.ts';
import { GNTMAP_host_map, GNTMAP_readonly } from '../../src/xen/abi.ts';

const CONFIG = makeConfig({});
// d1 grants gfn 3 (ref 8) and gfn 2 (ref 9, read-only use) to d2; d2 maps them at pages 1 and 2
// (handles 0 and 1) and ref 8 again at page 5 (handle 2).
const SETUP: Op[] = [
  { kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 3, readonly: false },
  { kind: 'grant_access', dom: 1, ref: 9, grantee: 2, gfn: 2, readonly: false },
  {
    kind: 'map_grant_ref',
    caller: 2,
    batch: [
      { dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 },
      { dom: 1, ref: 9, flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: 0x2000 },
      { dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x5000 },
    ],
  },
];

function replace(hostAddr: number, newAddr: number): Op {
  return { kind: 'unmap_and_replace', caller: 2, batch: [{ handle: 0, hostAddr, newAddr }] };
}

function last(ops: readonly Op[]): Transition {
  let state = initialState(CONFIG);
  let t: Transition | undefined;
  for (const op of ops) {
    const { state: after, result } = step(state, op);
    t = { before: state, op, result, after };
    state = after;
  }
  if (!t) throw new Error('no ops');
  return t;
}

/** `t` with d2's slot `page` holding `pte` (or nothing) after the step. */
function withSlotAfter(t: Transition, page: number, pte: HostMapping | undefined): Transition {
  const after: ModelState = updateDomain(t.after, 2, (d) => {
    const hostMappings = new Map(d.hostMappings);
    if (pte) hostMappings.set(page, pte);
    else hostMappings.delete(page);
    return { ...d, hostMappings };
  });
  return { ...t, after };
}

const A = { mfn: 0x107, writable: true };
const B = { mfn: 0x106, writable: false };

describe('replace-touches-named-slots', () => {
  it('is in the catalogue', () => {
    expect(STEP_PROPERTIES).toContain(replaceTouchesNamedSlots);
  });

  it("holds when a success moves new_addr's PTE, and when a failure zaps it", () => {
    const moved = last([...SETUP, replace(0x1000, 0x2000)]);
    expect(moved.result).toEqual({ kind: 'unmap_and_replace', statuses: [0] });
    expect(moved.after.domains[2]?.hostMappings.get(1)).toEqual(B);
    expect(replaceTouchesNamedSlots.check(moved)).toBeNull();
    const zapped = last([...SETUP, replace(0x3000, 0x2000)]);
    expect(zapped.result).toEqual({ kind: 'unmap_and_replace', statuses: [-1] });
    expect(zapped.after.domains[2]?.hostMappings.has(2)).toBe(false);
    expect(replaceTouchesNamedSlots.check(zapped)).toBeNull();
  });

  it('fires when a slot no element names changes', () => {
    const t = last([...SETUP, replace(0x1000, 0x2000)]);
    expect(replaceTouchesNamedSlots.check(withSlotAfter(t, 5, undefined))).toMatch(
      /changed d2 va page 5, which no element names/,
    );
  });

  it('fires when a success leaves at host_addr a PTE new_addr did not hold', () => {
    const t = last([...SETUP, replace(0x1000, 0x2000)]);
    expect(replaceTouchesNamedSlots.check(withSlotAfter(t, 1, A))).toMatch(
      /put a PTE at va page 1 that new_addr did not hold/,
    );
  });
});

describe('failure-atomicity of unmap_and_replace', () => {
  const zapped = () => last([...SETUP, replace(0x3000, 0x2000)]);

  it("allows a failed element to have emptied new_addr's slot, and nothing else", () => {
    expect(failureAtomicity.check(zapped())).toBeNull();
  });

  it("fires when a failed element rewrote new_addr's slot instead of emptying it", () => {
    expect(failureAtomicity.check(withSlotAfter(zapped(), 2, A))).toMatch(
      /failed in every element but d2 va page 2 was rewritten/,
    );
  });

  it('fires when a failed element changed any other slot', () => {
    expect(failureAtomicity.check(withSlotAfter(zapped(), 5, undefined))).toMatch(
      /unmap_and_replace failed in every element but d2 host mappings changed/,
    );
  });
});
