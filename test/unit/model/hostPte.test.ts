// GNTMAP_contains_pte and GNTTABOP_unmap_and_replace (x86 PV): pv/grant_table.c's
// create_grant_pv_mapping, replace_grant_pv_mapping and steal_linear_address. Each scenario runs
// on the model (exact results and slots) and through the harness (impl agrees, every check holds).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { l1TableMfn, pteAddress } from '../../../src/configDefaults.ts';
import { runOps } from '../../../src/harness/run.ts';
import { initialState, step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { Op, UnmapAndReplaceArgs } from '../../../src/ops/op.ts';
import { formatOp, parseOp } from '../../../src/ops/text.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import {
  GNTMAP_contains_pte,
  GNTST_bad_handle,
  GNTST_general_error,
} from '../../../src/xen/abi.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { DEV, HOST, RO, grant, map, mapArgs, unmap, unmapArgs } from './helpers.ts';

const PTE = GNTMAP_contains_pte;
const config = makeConfig(); // 3 domains, 16-page windows: one L1 frame each
const A = 0x107; // d1 gfn 3
const B = 0x106; // d1 gfn 2

function replace(caller: number, ...batch: UnmapAndReplaceArgs[]): Op {
  return { kind: 'unmap_and_replace', caller, batch };
}

/** Model results and final state; the impl must agree with every check on. */
function run(ops: readonly Op[]): { results: OpResult[]; state: ModelState } {
  let state = initialState(config);
  const results = ops.map((op) => {
    const next = step(state, op);
    state = next.state;
    return next.result;
  });
  const report = runOps(config, ops, { invariants: INVARIANTS, properties: STEP_PROPERTIES });
  expect(report.failure).toBeNull();
  return { results, state };
}

function statuses(r: OpResult | undefined): readonly number[] {
  if (r?.kind === 'map_grant_ref') return r.results.map((e) => e.status);
  if (r && 'statuses' in r) return r.statuses;
  throw new Error(`no statuses in ${JSON.stringify(r)}`);
}

function slots(state: ModelState, dom: number): [number, number, boolean][] {
  const d = state.domains[dom];
  return [...(d?.hostMappings ?? [])].map(([p, m]) => [p, m.mfn, m.writable]);
}

const setup: Op[] = [grant(1, 8, 2, 3), grant(1, 9, 2, 2)];

describe('GNTMAP_contains_pte', () => {
  it('the PTE of linear page p sits in the domain L1 frame at slot p', () => {
    expect(pteAddress(2, 3)).toBe(l1TableMfn(2, 0) * 4096 + 24);
    expect(pteAddress(0, 3).toString(16)).toBe('10000018');
    expect(pteAddress(1, 515).toString(16)).toBe('11001018');
  });

  it('a map at the PTE address of page 3 is the host map at 0x3000, and unmaps by that address', () => {
    const byPte = run([
      ...setup,
      map(2, mapArgs(1, 8, HOST | PTE, pteAddress(2, 3))),
      unmap(2, unmapArgs(0, 0x3000)), // read as a PTE address (mfn 3): no L1 page
      unmap(2, unmapArgs(0, pteAddress(2, 3) + 8)), // the next slot: no grant PTE there
    ]);
    const linear = run([...setup, map(2, mapArgs(1, 8, HOST, 0x3000))]);
    expect(slots(byPte.state, 2)).toEqual([[3, A, true]]);
    expect(slots(byPte.state, 2)).toEqual(slots(linear.state, 2));
    expect(statuses(byPte.results[3])).toEqual([GNTST_general_error]);
    expect(statuses(byPte.results[4])).toEqual([GNTST_general_error]);
    // the maptrack entry keeps the flag: unmap reads host_addr as the map did
    expect(byPte.state.domains[2]?.maptrack.mappings.get(0)?.flags).toBe(HOST | PTE);
    const done = run([
      ...setup,
      map(2, mapArgs(1, 8, HOST | PTE | RO, pteAddress(2, 3))),
      unmap(2, unmapArgs(0, pteAddress(2, 3))),
    ]);
    expect(statuses(done.results[3])).toEqual([0]);
    expect(slots(done.state, 2)).toEqual([]);
    expect(done.state.domains[1]?.grantTable.active.size).toBe(0);
  });

  it('every other address is general_error: misaligned, a foreign L1, a data page, past the window', () => {
    const addresses = [
      pteAddress(2, 3) + 4, // XSA-227: not 8-byte aligned
      pteAddress(2, 3) + 1,
      pteAddress(1, 3), // the granter's L1 frame
      A * 4096, // a data page the caller does not own
      0x10a * 4096, // the caller's own data page: not an L1 page table
      pteAddress(2, 16), // slot 16 of a 16-page window
      l1TableMfn(2, 1) * 4096, // a second L1 frame the window does not have
      0,
    ];
    const { results, state } = run([
      ...setup,
      ...addresses.map((a) => map(2, mapArgs(1, 8, HOST | PTE, a))),
    ]);
    for (const r of results.slice(2)) expect(statuses(r)).toEqual([GNTST_general_error]);
    expect(slots(state, 2)).toEqual([]);
    expect(state.domains[1]?.grantTable.active.size).toBe(0);
  });

  it('a device-only map ignores the flag', () => {
    const { results } = run([...setup, map(2, mapArgs(1, 8, DEV | PTE, 4))]);
    expect(statuses(results[2])).toEqual([0]);
  });
});

describe('unmap_and_replace', () => {
  // h0 maps A at page 1, h1 maps B at page 2
  const twoMaps: Op[] = [
    ...setup,
    map(2, mapArgs(1, 8, HOST, 0x1000)),
    map(2, mapArgs(1, 9, HOST | RO, 0x2000)),
  ];

  it('has a canonical text form', () => {
    const op = replace(2, { handle: 0, hostAddr: 0x1000, newAddr: 0x2000 });
    expect(formatOp(op)).toBe('unmap_and_replace(d2: h=0 host=0x1000 new=0x2000)');
    expect(parseOp(formatOp(op))).toEqual({ ok: true, op });
  });

  it("moves new_addr's PTE into host_addr's slot and empties new_addr's", () => {
    const { results, state } = run([
      ...twoMaps,
      replace(2, { handle: 0, hostAddr: 0x1000, newAddr: 0x2000 }),
      unmap(2, unmapArgs(1, 0x2000)), // B's PTE is no longer at page 2
      unmap(2, unmapArgs(1, 0x1000)), // but at page 1
    ]);
    expect(results.slice(4).map(statuses)).toEqual([[0], [GNTST_general_error], [0]]);
    expect(slots(state, 2)).toEqual([]);
    expect(state.domains[2]?.maptrack.mappings.size).toBe(0);
  });

  it('new_addr 0 is a plain host unmap; an empty new_addr slot leaves host_addr empty', () => {
    const { results, state } = run([
      ...twoMaps,
      replace(2, { handle: 0, hostAddr: 0x1000, newAddr: 0 }),
      replace(2, { handle: 1, hostAddr: 0x2000, newAddr: 0x5000 }),
    ]);
    expect(results.slice(4).map(statuses)).toEqual([[0], [0]]);
    expect(slots(state, 2)).toEqual([]);
    expect(state.domains[1]?.grantTable.active.size).toBe(0);
  });

  it('a failure after the steal drops the stolen PTE: new_addr stays empty', () => {
    const { results, state } = run([
      ...twoMaps,
      // host_addr page 3 holds nothing: the PTE test fails after page 2's PTE was taken
      replace(2, { handle: 0, hostAddr: 0x3000, newAddr: 0x2000 }),
      // new_addr = host_addr: the steal empties the slot the PTE test then reads
      replace(2, { handle: 0, hostAddr: 0x1000, newAddr: 0x1000 }),
    ]);
    expect(results.slice(4).map(statuses)).toEqual([[GNTST_general_error], [GNTST_general_error]]);
    expect(slots(state, 2)).toEqual([]);
    // both handles stay live, pinned, with no PTE left to unmap them by
    expect(state.domains[2]?.maptrack.mappings.size).toBe(2);
    expect(state.domains[1]?.grantTable.active.size).toBe(2);
  });

  it('refuses without touching new_addr: no L1 there, a contains_pte mapping, a bad handle', () => {
    const { results, state } = run([
      ...twoMaps,
      map(2, mapArgs(1, 8, HOST | PTE, pteAddress(2, 4))), // h2
      replace(2, { handle: 0, hostAddr: 0x1000, newAddr: 16 * 0x1000 }),
      replace(2, { handle: 2, hostAddr: pteAddress(2, 4), newAddr: 0x2000 }),
      replace(2, { handle: 7, hostAddr: 0x1000, newAddr: 0x2000 }),
      replace(2, { handle: 0, hostAddr: 0, newAddr: 0x2000 }), // host_addr 0: okay, no-op
    ]);
    expect(results.slice(5).map(statuses)).toEqual([
      [GNTST_general_error],
      [GNTST_general_error],
      [GNTST_bad_handle],
      [0],
    ]);
    expect(slots(state, 2)).toEqual([
      [1, A, true],
      [2, B, false],
      [4, A, true],
    ]);
  });

  it('leaves a device mapping alone (dev_bus_addr is 0)', () => {
    const { results, state } = run([
      ...setup,
      map(2, mapArgs(1, 8, HOST | DEV, 0x1000)),
      replace(2, { handle: 0, hostAddr: 0x1000, newAddr: 0 }),
      replace(2, { handle: 0, hostAddr: 0x1000, newAddr: 0 }), // no host part left: okay
    ]);
    expect(results.slice(3).map(statuses)).toEqual([[0], [0]]);
    expect(state.domains[2]?.maptrack.mappings.get(0)?.flags).toBe(DEV);
  });

  it("checks the PTE's RW bit, not only its frame (XSA-234)", () => {
    const { results, state } = run([
      ...setup,
      map(2, mapArgs(1, 8, HOST | RO, 0x1000)), // h0
      map(2, mapArgs(1, 8, HOST, 0x1000)), // h1 overwrites the PTE: same frame, writable
      unmap(2, unmapArgs(0, 0x1000)),
    ]);
    expect(statuses(results[4])).toEqual([GNTST_general_error]);
    expect(slots(state, 2)).toEqual([[1, A, true]]);
  });
});
