// The step properties that keep checking raw-written entries (docs/properties.md, "Raw-written
// refs"): each holds on real transitions through a raw-written entry and fires when that
// transition is corrupted in exactly what it promises.
import { describe, expect, it } from 'vitest';
import {
  endNeverWhileMapped,
  STEP_PROPERTIES,
  swapExchangesOnlyTwoEntries,
  xenEntryWrites,
} from '../../properties/invariants/stepProperties.ts';
import { makeConfig } from '../../src/config.ts';
import type { Transition } from '../../src/harness/invariant.ts';
import { initialState, step } from '../../src/model/index.ts';
import type { ModelState } from '../../src/model/state.ts';
import { updateDomain, withEntry } from '../../src/model/update.ts';
import type { Op } from '../../src/ops/op.ts';
import {
  GNTMAP_host_map,
  GNTMAP_readonly,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_reading,
  GTF_transfer_completed,
  GTF_writing,
} from '../../src/xen/abi.ts';

const CONFIG = makeConfig({});
const REF = 8;
const grant: Op = { kind: 'grant_access', dom: 1, ref: REF, grantee: 2, gfn: 0, readonly: false };
// The guest rewrites its own entry outside the library: the same grant, by plain stores.
const rewrite = (flags: number): Op => ({
  kind: 'raw_write',
  dom: 1,
  ref: REF,
  flags,
  domid: 2,
  frame: 0,
});
const mapRw: Op = {
  kind: 'map_grant_ref',
  caller: 2,
  batch: [{ dom: 1, ref: REF, flags: GNTMAP_host_map, hostAddr: 0x1000 }],
};
const unmap: Op = {
  kind: 'unmap_grant_ref',
  caller: 2,
  batch: [{ handle: 0, hostAddr: 0x1000, devBusAddr: 0 }],
};

/** The transitions of `ops` from the initial state, all of them. */
function transitions(ops: readonly Op[]): Transition[] {
  let state = initialState(CONFIG);
  return ops.map((op) => {
    const { state: after, result } = step(state, op);
    const t = { before: state, op, result, after };
    state = after;
    return t;
  });
}

function last(ops: readonly Op[]): Transition {
  const t = transitions(ops).at(-1);
  if (!t) throw new Error('no ops');
  return t;
}

/** `t` with d1's entry at REF given other flags after the step. */
function withFlagsAfter(t: Transition, flags: number): Transition {
  const entry = t.after.domains[1]?.grantTable.entries.get(REF) ?? { domid: 2, frame: 0, flags };
  const after: ModelState = updateDomain(t.after, 1, (d) => ({
    ...d,
    grantTable: withEntry(d.grantTable, REF, { ...entry, flags }),
  }));
  return { ...t, after };
}

function flagsAfter(t: Transition): number {
  return t.after.domains[1]?.grantTable.entries.get(REF)?.flags ?? 0;
}

describe('xen-entry-writes', () => {
  it('is in the catalogue', () => {
    expect(STEP_PROPERTIES).toContain(xenEntryWrites);
  });

  it('holds on every step of runs through a raw-written entry', () => {
    const runs: Op[][] = [
      [grant, rewrite(GTF_permit_access), mapRw, unmap],
      // the guest sets GTF_writing itself; a read-only map and unmap never clear it
      [
        grant,
        rewrite(GTF_permit_access | GTF_writing),
        {
          ...mapRw,
          batch: [{ dom: 1, ref: REF, flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: 0x1000 }],
        },
        unmap,
      ],
      // the guest clears the bits under a live pin; Xen leaves them alone until the last unmap
      [grant, mapRw, rewrite(GTF_permit_access), unmap],
    ];
    for (const ops of runs) {
      for (const t of transitions(ops)) expect(xenEntryWrites.check(t)).toBeNull();
    }
  });

  it('fires through a raw-written entry when a first pin leaves GTF_reading clear', () => {
    const t = last([grant, rewrite(GTF_permit_access), mapRw]);
    expect(t.before.domains[1]?.rawWritten.has(REF)).toBe(true);
    expect(flagsAfter(t) & (GTF_reading | GTF_writing)).toBe(GTF_reading | GTF_writing);
    expect(xenEntryWrites.check(withFlagsAfter(t, GTF_permit_access | GTF_writing))).toMatch(
      /d1 ref 8 .*pinned without GTF_reading/,
    );
    expect(xenEntryWrites.check(withFlagsAfter(t, GTF_permit_access | GTF_reading))).toMatch(
      /d1 ref 8 .*write-pinned without/,
    );
  });

  it('fires through a raw-written entry when the last unmap keeps a status bit', () => {
    // the guest wrote GTF_reading|GTF_writing itself while Xen held the pin
    const t = last([grant, mapRw, rewrite(GTF_permit_access | GTF_reading | GTF_writing), unmap]);
    expect(t.before.domains[1]?.rawWritten.has(REF)).toBe(true);
    expect(xenEntryWrites.check(t)).toBeNull();
    expect(xenEntryWrites.check(withFlagsAfter(t, GTF_permit_access | GTF_reading))).toMatch(
      /d1 ref 8 .*last pin gone, GTF_reading kept/,
    );
    expect(xenEntryWrites.check(withFlagsAfter(t, GTF_permit_access | GTF_writing))).toMatch(
      /d1 ref 8 .*last writable pin gone, GTF_writing kept/,
    );
  });

  it('fires through a raw-written entry when a successful transfer leaves it incomplete', () => {
    const t = last([
      { kind: 'grant_transfer', dom: 1, ref: REF, grantee: 2, gfn: 4 },
      rewrite(GTF_accept_transfer), // the same contents, by a raw store
      { kind: 'transfer', caller: 2, batch: [{ gfn: 3, domid: 1, ref: REF }] },
    ]);
    expect(t.result).toEqual({ kind: 'transfer', statuses: [0] });
    expect(xenEntryWrites.check(t)).toBeNull();
    const incomplete = flagsAfter(t) & ~GTF_transfer_completed;
    expect(xenEntryWrites.check(withFlagsAfter(t, incomplete))).toMatch(
      /transfer into d1 ref 8 succeeded/,
    );
  });
});

describe('end-never-while-mapped on a raw-written entry', () => {
  const ended = (t: Transition): Transition => ({
    ...t,
    result: { kind: 'end_access', outcome: 'ended' },
  });

  it('is skipped while the raw write has cleared the status bits of the pinned entry', () => {
    const t = last([
      grant,
      mapRw,
      rewrite(GTF_permit_access),
      { kind: 'end_access', dom: 1, ref: REF },
    ]);
    // the library's compare-and-swap sees no status bit: the end goes through, by the guest's doing
    expect(t.result).toEqual({ kind: 'end_access', outcome: 'ended' });
    expect(endNeverWhileMapped.check(t)).toBeNull();
  });

  it('fires through a raw-written entry that still shows GTF_reading', () => {
    const t = last([
      grant,
      mapRw,
      rewrite(GTF_permit_access | GTF_reading | GTF_writing),
      { kind: 'end_access', dom: 1, ref: REF },
    ]);
    expect(t.result).toEqual({ kind: 'end_access', outcome: 'in_use' });
    expect(endNeverWhileMapped.check(t)).toBeNull();
    expect(endNeverWhileMapped.check(ended(t))).toMatch(/ended d1 ref 8 while pinned/);
  });
});

describe('swap-exchanges-only-two-entries', () => {
  const swap = (refA: number, refB: number): Op => ({
    kind: 'swap_grant_ref',
    caller: 1,
    batch: [{ refA, refB }],
  });
  const check = (t: Transition) => swapExchangesOnlyTwoEntries.check(t);

  it('is in the catalogue', () => {
    expect(STEP_PROPERTIES).toContain(swapExchangesOnlyTwoEntries);
  });

  it('holds on real swaps: okay, a == b, pinned, out of range, through raw-written entries', () => {
    const runs: Op[][] = [
      [grant, swap(REF, 9), swap(9, REF), swap(REF, REF), swap(REF, 512)],
      [grant, mapRw, swap(REF, 9), swap(REF, REF), unmap, swap(REF, 3)],
      [rewrite(GTF_permit_access | GTF_reading), swap(REF, 9), swap(9, 0)],
    ];
    for (const ops of runs) {
      for (const t of transitions(ops)) expect(check(t)).toBeNull();
    }
  });

  it('fires when an okay swap leaves the entries where they were', () => {
    const t = last([grant, swap(REF, 9)]);
    expect(t.result).toEqual({ kind: 'swap_grant_ref', statuses: [0] });
    expect(check({ ...t, after: t.before })).toMatch(
      /d1 ref 9 holds null, the swaps give \{"flags":1,"domid":2,"frame":0\}/,
    );
  });

  it('fires when a swap also changes a third entry', () => {
    const t = last([grant, swap(REF, 9)]);
    const after = updateDomain(t.after, 1, (d) => ({
      ...d,
      grantTable: withEntry(d.grantTable, 10, { flags: GTF_permit_access, domid: 2, frame: 0 }),
    }));
    expect(check({ ...t, after })).toMatch(/d1 ref 10 holds/);
  });

  it('fires when a swap reports okay on a pinned ref and moves it', () => {
    const t = last([grant, mapRw, swap(REF, 9)]);
    expect(t.result).toEqual({ kind: 'swap_grant_ref', statuses: [-12] });
    const granted = { flags: GTF_permit_access | GTF_reading | GTF_writing, domid: 2, frame: 0 };
    expect(t.before.domains[1]?.grantTable.entries.get(REF)).toEqual(granted);
    const after = updateDomain(t.after, 1, (d) => ({
      ...d,
      grantTable: withEntry(withEntry(d.grantTable, 9, granted), REF, {
        flags: 0,
        domid: 0,
        frame: 0,
      }),
    }));
    expect(check({ ...t, result: { kind: 'swap_grant_ref', statuses: [0] }, after })).toBe(
      'element 0 moved d1 ref 8 while it was pinned',
    );
  });

  it("fires when a swap changes another domain's state", () => {
    const t = last([grant, swap(REF, 9)]);
    const after = updateDomain(t.after, 2, (d) => ({
      ...d,
      grantTable: withEntry(d.grantTable, 9, { flags: GTF_permit_access, domid: 1, frame: 0 }),
    }));
    expect(check({ ...t, after })).toBe('swap d2 grant entries changed');
  });
});
