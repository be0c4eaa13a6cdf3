// The guest profiles' exact results on the edge cases (issue 14 §1; docs/semantics.md §18),
// each case run on the model and on the impl in lockstep: results equal, abstract(impl) equal
// to the model's state after every op. Sources: Linux drivers/xen/grant-table.c (6.x), Mini-OS
// gnttab.c, mirage-xen lib/xen.ml (Export) as read in docs/guest-libraries.md.
import { describe, expect, it } from 'vitest';
import type { GrantConfig } from '../../../src/config.ts';
import { makeConfig } from '../../../src/config.ts';
import { abstract, GrantSystem } from '../../../src/impl/index.ts';
import {
  describeState,
  diffStates,
  initialState,
  statesEqual,
  step,
} from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import { GTF_permit_access, GTF_reading, GTF_writing } from '../../../src/xen/abi.ts';
import * as profile from '../../../properties/invariants/profileChecks.ts';
import { grant, HOST, map, mapArgs, unmap, unmapArgs } from './helpers.ts';

type Profile = 'linux' | 'mini-os' | 'mirage';

/** Model and impl side by side; d1 runs `p`, d0 and d2 are strict. */
class Twin {
  state: ModelState;
  readonly system: GrantSystem;
  constructor(p: Profile, extra: Partial<GrantConfig> = {}) {
    const config = makeConfig({ profiles: ['strict', p, 'strict'], ...extra });
    this.state = initialState(config);
    this.system = new GrantSystem(config);
  }

  run(op: Op): OpResult {
    const { state, result } = step(this.state, op);
    const impl = this.system.apply(op);
    expect(impl, `impl result of ${op.kind}`).toEqual(result);
    const abstracted = abstract(this.system);
    expect(diffStates(state, abstracted), `state after ${op.kind}`).toEqual([]);
    expect(statesEqual(state, abstracted)).toBe(true);
    this.state = state;
    return result;
  }

  /** Run `op` on both without comparing states: for a corruption the model does not follow. */
  runApart(op: Op): OpResult {
    const { state, result } = step(this.state, op);
    expect(this.system.apply(op)).toEqual(result);
    this.state = state;
    return result;
  }

  implFree(): readonly number[] {
    return abstract(this.system).domains[1]?.guest?.free ?? [];
  }

  free(): readonly number[] {
    return this.state.domains[1]?.guest?.free ?? [];
  }

  flags(ref: number): number {
    return this.state.domains[1]?.grantTable.entries.get(ref)?.flags ?? 0;
  }
}

const alloc = (count: number): Op => ({ kind: 'alloc_refs', dom: 1, count });
const free = (ref: number): Op => ({ kind: 'free_ref', dom: 1, ref });
const end = (ref: number): Op => ({ kind: 'end_access', dom: 1, ref });
const endDeferred = (ref: number, gfn?: number): Op =>
  gfn === undefined
    ? { kind: 'end_access_deferred', dom: 1, ref }
    : { kind: 'end_access_deferred', dom: 1, ref, gfn };
const tick: Op = { kind: 'tick', dom: 1 };
const freePage = (gfn: number): Op => ({ kind: 'free_page', dom: 1, gfn });
/** d2 maps d1's ref (host, writable) and gets handle 0 on its first map. */
const mapBy2 = (ref: number): Op => map(2, mapArgs(1, ref, HOST, 0x1000));
const unmapBy2: Op = unmap(2, unmapArgs(0, 0x1000));

describe('profile linux (drivers/xen/grant-table.c)', () => {
  it('hands out 8 first, ascending, and takes frees back LIFO (gnttab_set_free, put_free_entry)', () => {
    const t = new Twin('linux');
    expect(t.run(alloc(2))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [8, 9] });
    t.run(free(9));
    t.run(free(8));
    expect(t.free()).toEqual([8, 9, 10, 11]);
    expect(t.run(alloc(1))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [8] });
  });

  it('refuses count 0 (a stated rule) and returns -ENOSPC when exhausted, changing nothing', () => {
    const t = new Twin('linux');
    expect(t.run(alloc(0))).toEqual({ kind: 'alloc_refs', outcome: 'einval' });
    expect(t.run(alloc(4))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [8, 9, 10, 11] });
    expect(t.run(alloc(1))).toEqual({ kind: 'alloc_refs', outcome: 'enospc' });
    expect(t.free()).toEqual([]);
  });

  it('ignores a reserved ref on free (8c9eb0e3731d)', () => {
    const t = new Twin('linux');
    expect(t.run(free(0))).toEqual({ kind: 'free_ref', outcome: 'ok' });
    expect(t.run(free(7))).toEqual({ kind: 'free_ref', outcome: 'ok' });
    expect(t.free()).toEqual([8, 9, 10, 11]);
  });

  it("ends a never-granted ref with 1 and keeps it the caller's (gnttab_end_foreign_access_ref)", () => {
    const t = new Twin('linux');
    t.run(alloc(1));
    expect(t.run(end(8))).toEqual({ kind: 'end_access', outcome: 'ended' });
    expect(t.free()).toEqual([9, 10, 11]);
  });

  it('returns 0 on an in-use entry, leaving it; the deferred end completes once unmapped', () => {
    const t = new Twin('linux');
    t.run(alloc(1));
    t.run(grant(1, 8, 2, 0));
    t.run(mapBy2(8));
    expect(t.run(end(8))).toEqual({ kind: 'end_access', outcome: 'in_use' });
    expect(t.flags(8)).toBe(GTF_permit_access | GTF_reading | GTF_writing);
    expect(t.run(endDeferred(8))).toEqual({ kind: 'end_access_deferred', outcome: 'deferred' });
    // gnttab_add_deferred with no page takes the library's own reference on the entry's frame
    expect(t.state.domains[1]?.guest?.deferred).toEqual([
      { ref: 8, gfn: 0, warnDelay: 60, idleTicks: 0 },
    ]);
    // the driver may free its page now: the deferred record keeps it
    expect(t.run(freePage(0))).toEqual({ kind: 'free_page', outcome: 'ok' });
    expect(t.run(tick)).toEqual({ kind: 'tick', outcome: 'ok', reclaimed: 0, pending: 1 });
    t.run(unmapBy2);
    expect(t.run(tick)).toEqual({ kind: 'tick', outcome: 'ok', reclaimed: 1, pending: 0 });
    expect(t.free()).toEqual([8, 9, 10, 11]);
    expect(t.flags(8)).toBe(0);
  });

  it('takes with a deferred end only the page the ref grants (gnttab_end_foreign_access)', () => {
    // The library keeps the page reference it is handed until the entry is no longer in use.
    // Handing it another page of the driver's leaves the granted one with no holder: the driver
    // frees it next, while d2 still maps it (seed 42 of the conformance suite under Linux found
    // that sequence). No correct driver does it, so the contract refuses it.
    const t = new Twin('linux');
    t.run(alloc(1));
    t.run(grant(1, 8, 2, 3));
    t.run(mapBy2(8));
    expect(t.run(endDeferred(8, 0))).toEqual({ kind: 'end_access_deferred', outcome: 'contract' });
    expect(t.run(freePage(3))).toEqual({ kind: 'free_page', outcome: 'contract' });
    expect(t.run(endDeferred(8, 3))).toEqual({ kind: 'end_access_deferred', outcome: 'deferred' });
    // the granted page is now the library's; the driver's other page is still its own
    expect(t.run(freePage(0))).toEqual({ kind: 'free_page', outcome: 'ok' });
    // a ref the driver holds but no longer believes granted: any page of its own will do
    t.run(alloc(1));
    expect(t.run(endDeferred(9, 1))).toEqual({ kind: 'end_access_deferred', outcome: 'ended' });
  });

  it('warns on the 60th failed retry (warn_delay)', () => {
    const t = new Twin('linux');
    t.run(alloc(1));
    t.run(grant(1, 8, 2, 0));
    t.run(mapBy2(8));
    t.run(endDeferred(8, 0));
    for (let i = 0; i < 59; i++) t.run(tick);
    expect(t.state.domains[1]?.guest?.warnings).toBe(0);
    t.run(tick);
    expect(t.state.domains[1]?.guest?.warnings).toBe(1);
  });

  it('examines at most free_per_iteration ends per tick', () => {
    const t = new Twin('linux', { freePerIteration: 1 });
    t.run(alloc(2));
    t.run(grant(1, 8, 2, 0));
    t.run(grant(1, 9, 2, 1));
    t.run(mapBy2(8));
    t.run(map(2, mapArgs(1, 9, HOST, 0x2000)));
    t.run(endDeferred(8));
    t.run(endDeferred(9));
    t.run(unmapBy2);
    t.run(unmap(2, unmapArgs(1, 0x2000)));
    expect(t.run(tick)).toEqual({ kind: 'tick', outcome: 'ok', reclaimed: 1, pending: 1 });
    expect(t.run(tick)).toEqual({ kind: 'tick', outcome: 'ok', reclaimed: 1, pending: 0 });
    expect(t.free()).toEqual([9, 8, 10, 11]);
  });

  it('overwrites an in-use entry, erasing GTF_reading/GTF_writing (raw calls; §2.4)', () => {
    const t = new Twin('linux', { rawLibraryCalls: true });
    t.run(alloc(1));
    t.run(grant(1, 8, 2, 0));
    t.run(mapBy2(8));
    expect(t.run(grant(1, 8, 2, 1))).toEqual({ kind: 'grant_access', outcome: 'ok' });
    expect(t.flags(8)).toBe(GTF_permit_access);
    // and the end now succeeds while d2 still maps the page: the XSA-396 hazard
    expect(t.run(end(8))).toEqual({ kind: 'end_access', outcome: 'ended' });
  });

  it('refuses what the driver contract rules out, and does it with raw calls', () => {
    const t = new Twin('linux');
    expect(t.run(free(8))).toEqual({ kind: 'free_ref', outcome: 'contract' });
    expect(t.run(end(8))).toEqual({ kind: 'end_access', outcome: 'contract' });
    const raw = new Twin('linux', { rawLibraryCalls: true });
    // A double free: 8 is free and is pushed again (Linux checks nothing). The model keeps a
    // list with 8 twice; Linux's chain gets a self-loop (gnttab_list[8] = 8), so every later
    // allocation would return 8. The contract rules it out; the invariant sees both.
    expect(raw.runApart(free(8))).toEqual({ kind: 'free_ref', outcome: 'ok' });
    expect(raw.free()).toEqual([8, 8, 9, 10, 11]);
    expect(raw.implFree()).toEqual([8, 8]);
    const d1 = raw.state.domains[1];
    expect(d1 && profile.model.refsAccounted(d1)).toBe('d1 ref 8 is on the free list twice');
  });

  it("holds its strict neighbours to today's rules: profile ops on d0 are unsupported", () => {
    const t = new Twin('linux');
    expect(t.run({ kind: 'alloc_refs', dom: 0, count: 1 })).toEqual({
      kind: 'alloc_refs',
      outcome: 'unsupported',
    });
    expect(describeState(t.state)).toContain('d1 library: linux, refs 0..11, budget 10');
  });
});

describe('profile mini-os (gnttab.c)', () => {
  it('hands out the top ref first and blocks when exhausted (init_gnttab, get_free_entry)', () => {
    const t = new Twin('mini-os');
    expect(t.run(alloc(1))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [11] });
    expect(t.run(alloc(2))).toEqual({ kind: 'alloc_refs', outcome: 'einval' });
    for (const ref of [10, 9, 8]) {
      expect(t.run(alloc(1))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [ref] });
    }
    expect(t.run(alloc(1))).toEqual({ kind: 'alloc_refs', outcome: 'would_block' });
  });

  it('ends a never-granted ref with 1 and pushes it (gnttab_end_access)', () => {
    const t = new Twin('mini-os');
    t.run(alloc(1));
    t.run(alloc(1));
    expect(t.run(end(11))).toEqual({ kind: 'end_access', outcome: 'ended' });
    expect(t.run(alloc(1))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [11] });
  });

  it('BUGs on a reserved or past-the-table ref and returns 0 on an in-use entry', () => {
    const t = new Twin('mini-os');
    expect(t.run(end(0))).toEqual({ kind: 'end_access', outcome: 'crash' });
    expect(t.run(end(12))).toEqual({ kind: 'end_access', outcome: 'crash' });
    t.run(alloc(1));
    t.run(grant(1, 11, 2, 0));
    t.run(mapBy2(11));
    expect(t.run(end(11))).toEqual({ kind: 'end_access', outcome: 'in_use' });
    expect(t.run(free(11))).toEqual({ kind: 'free_ref', outcome: 'unsupported' });
    expect(t.run(endDeferred(11))).toEqual({ kind: 'end_access_deferred', outcome: 'unsupported' });
  });

  it('pushes an already free ref a second time (raw calls; the double free GNT_DEBUG catches)', () => {
    const t = new Twin('mini-os', { rawLibraryCalls: true });
    expect(t.runApart(end(11))).toEqual({ kind: 'end_access', outcome: 'ended' });
    expect(t.free()).toEqual([11, 11, 10, 9, 8]);
    // the stack's slot 11 now links to itself: the semaphore allows 5 pops, all of 11
    expect(t.implFree()).toEqual([11, 11, 11, 11, 11]);
  });
});

describe('profile mirage (lib/xen.ml Export)', () => {
  it('is FIFO: 8 first, frees to the back (Queue)', () => {
    const t = new Twin('mirage');
    expect(t.run(alloc(3))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [8, 9, 10] });
    t.run(free(8));
    expect(t.free()).toEqual([11, 8]);
    expect(t.run(alloc(1))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [11] });
  });

  it('get_n_nonblock: [] for 0 and on a shortfall, which reverses the queue', () => {
    const t = new Twin('mirage');
    expect(t.run(alloc(0))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [] });
    expect(t.run(alloc(5))).toEqual({ kind: 'alloc_refs', outcome: 'ok', refs: [] });
    expect(t.free()).toEqual([11, 10, 9, 8]);
  });

  it('asserts the range, refuses an exported ref, and ends a never-granted ref with Ok', () => {
    const t = new Twin('mirage');
    expect(t.run(grant(1, 7, 2, 0))).toEqual({ kind: 'grant_access', outcome: 'crash' });
    t.run(alloc(1));
    expect(t.run(end(8))).toEqual({ kind: 'end_access', outcome: 'ended' });
    expect(t.free()).toEqual([9, 10, 11, 8]);
    const raw = new Twin('mirage', { rawLibraryCalls: true });
    raw.run(alloc(1));
    raw.run(grant(1, 8, 2, 0));
    expect(raw.run(grant(1, 8, 2, 1))).toEqual({ kind: 'grant_access', outcome: 'in_use' });
  });

  it('answers Busy while in use and keeps the page exported', () => {
    const t = new Twin('mirage');
    t.run(alloc(1));
    t.run(grant(1, 8, 2, 0));
    t.run(mapBy2(8));
    expect(t.run(end(8))).toEqual({ kind: 'end_access', outcome: 'in_use' });
    expect(t.state.domains[1]?.guest?.exports).toEqual(new Map([[8, 0]]));
    t.run(unmapBy2);
    expect(t.run(end(8))).toEqual({ kind: 'end_access', outcome: 'ended' });
    expect(t.state.domains[1]?.guest?.exports).toEqual(new Map());
  });
});
