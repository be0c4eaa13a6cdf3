import { describe, expect, it } from 'vitest';
import type { Op, SwapGrantRefArgs } from '../../../src/ops/op.ts';
import {
  GNTST_bad_gntref,
  GNTST_eagain,
  GNTST_okay,
  GTF_permit_access,
  GTF_readonly,
} from '../../../src/xen/abi.ts';
import { HOST, Sim, grant, map, mapArgs } from './helpers.ts';

function swap(caller: number, ...batch: SwapGrantRefArgs[]): Op {
  return { kind: 'swap_grant_ref', caller, batch };
}
const pair = (refA: number, refB: number): SwapGrantRefArgs => ({ refA, refB });

describe('swap_grant_ref', () => {
  it('exchanges the two whole entries, an empty one included', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3, true));
    sim.run(grant(1, 9, 0, 1));
    expect(sim.run(swap(1, pair(8, 9), pair(9, 10)))).toEqual({
      kind: 'swap_grant_ref',
      statuses: [GNTST_okay, GNTST_okay],
    });
    expect(sim.entry(1, 8)).toEqual({ flags: GTF_permit_access, domid: 0, frame: 1 });
    expect(sim.entry(1, 9)).toBeUndefined();
    expect(sim.entry(1, 10)).toEqual({
      flags: GTF_permit_access | GTF_readonly,
      domid: 2,
      frame: 3,
    });
  });

  it('checks bounds (ref_a, then ref_b) before equality, and equality before pins', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    expect(sim.run(map(2, mapArgs(1, 8, HOST, 0x1000)))).toMatchObject({
      results: [{ status: GNTST_okay }],
    });
    const before = sim.state;
    expect(
      sim.run(swap(1, pair(512, 8), pair(8, 512), pair(512, 512), pair(2 ** 32 - 1, 9))),
    ).toEqual({
      kind: 'swap_grant_ref',
      statuses: [GNTST_bad_gntref, GNTST_bad_gntref, GNTST_bad_gntref, GNTST_bad_gntref],
    });
    // the same pinned ref twice: okay, no effect
    expect(sim.run(swap(1, pair(8, 8)))).toEqual({
      kind: 'swap_grant_ref',
      statuses: [GNTST_okay],
    });
    // a pinned ref on either side: eagain
    expect(sim.run(swap(1, pair(8, 9), pair(9, 8)))).toEqual({
      kind: 'swap_grant_ref',
      statuses: [GNTST_eagain, GNTST_eagain],
    });
    expect(sim.state).toEqual(before);
  });

  it('acts on the caller’s own table only, and moves raw-write marks with the entries', () => {
    const sim = new Sim();
    sim.run({ kind: 'raw_write', dom: 2, ref: 9, flags: 0x19, domid: 1, frame: 4 });
    sim.run(grant(2, 8, 1, 2));
    expect(sim.run(swap(2, pair(9, 10), pair(8, 3)))).toEqual({
      kind: 'swap_grant_ref',
      statuses: [GNTST_okay, GNTST_okay],
    });
    expect([...sim.domain(2).rawWritten].sort((a, b) => a - b)).toEqual([3, 10]);
    expect(sim.entry(2, 3)).toEqual({ flags: GTF_permit_access, domid: 1, frame: 2 });
    expect(sim.domain(1).grantTable.entries.size).toBe(0);
  });
});
