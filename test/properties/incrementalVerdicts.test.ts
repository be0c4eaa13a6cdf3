// The impl-side invariants that, once they held, re-check only what a step wrote (the tables'
// touch logs: pin-accounting and single-grantee from ImplView.pinLedger; status-bits-mirror-pins,
// transfer-flag-order and live-maptrack-entries per domain from ImplView.touchedSince) must give the full check's verdict and message: on the
// states random op streams reach, on the correct impl and on every fault, and on tables
// corrupted at random through their setters after the checks held.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as implChecks from '../../properties/invariants/implChecks.ts';
import { FAULTS, subjectOf } from '../../src/faults/index.ts';
import { Checker } from '../../src/harness/checker.ts';
import { ImplView, ScanIndex } from '../../src/harness/implView.ts';
import { GrantSystem } from '../../src/impl/index.ts';
import type { Op } from '../../src/ops/op.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_reading,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_writing,
} from '../../src/xen/abi.ts';
import { testSeeds } from '../support/seeds.ts';
import { applyPastViolations, conformanceSuite, suiteRuns, systemOf } from '../support/suites.ts';

const suite = conformanceSuite();
const runArbitrary = suiteRuns(suite);

/** The incremental verdicts (on a view with the kept `index`) against the full checks (on a
 * fresh view): equal. The number of checks that failed. */
function expectSameVerdicts(system: GrantSystem, index: ScanIndex, where: string): number {
  const kept = new ImplView(system, index);
  const full = new ImplView(system);
  let failing = 0;
  const pins = implChecks.pinAccountingProblem(full);
  expect(implChecks.pinAccounting(kept), `${where} pin-accounting`).toBe(pins);
  const grantee = implChecks.singleGranteeProblem(full);
  expect(implChecks.singleGrantee(kept), `${where} single-grantee`).toBe(grantee);
  if (pins !== null) failing++;
  if (grantee !== null) failing++;
  for (const d of kept.domains) {
    const bits = implChecks.statusBitsMirrorPinsProblem(full, d);
    expect(implChecks.statusBitsMirrorPins(kept, d), `${where} status bits d${d.id}`).toBe(bits);
    if (bits !== null) failing++;
    const order = implChecks.transferFlagOrderProblem(full, d);
    expect(implChecks.transferFlagOrder(kept, d), `${where} transfer order d${d.id}`).toBe(order);
    if (order !== null) failing++;
  }
  const live = implChecks.liveMaptrackEntriesProblem(full);
  expect(implChecks.liveMaptrackEntries(kept), `${where} live maptrack entries`).toBe(live);
  if (live !== null) failing++;
  return failing;
}

// Grants and maps that leave live mappings of several kinds, by two mappers, and entries
// showing status bits.
const SETUP: readonly Op[] = [
  { kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: false },
  { kind: 'grant_access', dom: 1, ref: 9, grantee: 2, gfn: 1, readonly: true },
  { kind: 'grant_access', dom: 1, ref: 10, grantee: 0, gfn: 2, readonly: false },
  {
    kind: 'map_grant_ref',
    caller: 2,
    batch: [
      { dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 },
      { dom: 1, ref: 8, flags: GNTMAP_device_map, hostAddr: 0 },
      { dom: 1, ref: 9, flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: 0x2000 },
    ],
  },
  {
    kind: 'map_grant_ref',
    caller: 0,
    batch: [{ dom: 1, ref: 10, flags: GNTMAP_host_map, hostAddr: 0x3000 }],
  },
];

describe('incremental impl invariants: the verdict is the full check', () => {
  it('live-maptrack-entries again in full when a granter table is smaller than when it held', () => {
    // Tables only grow forward; a restore of the shared table alone (not the maptrack) is the
    // one way to shrink one under a handle that held.
    const system = new GrantSystem(suite.config);
    for (const op of SETUP) system.apply(op);
    const granter = system.xen.domains[1];
    const mapper = system.xen.domains[2];
    if (granter === undefined || mapper === undefined) throw new Error('no domains');
    const small = granter.grantTable.shared.save();
    system.apply({ kind: 'setup_table', caller: 1, dom: 1, nrFrames: 2 });
    mapper.maptrack.setRef(0, 600); // a live handle, naming a ref of the second frame
    const index = new ScanIndex();
    expectSameVerdicts(system, index, 'grown'); // pin-accounting fails: ref 8 lost a mapping
    expect(implChecks.liveMaptrackEntriesProblem(new ImplView(system))).toBeNull();
    granter.grantTable.shared.load(small);
    expect(implChecks.liveMaptrackEntriesProblem(new ImplView(system))).not.toBeNull();
    expectSameVerdicts(system, index, 'shrunk');
  });

  for (const seed of testSeeds('incremental verdicts')) {
    it(`on the states op streams reach, impl and every fault (seed ${seed})`, () => {
      fc.assert(
        fc.property(runArbitrary, fc.integer({ min: 1, max: 3 }), (ops, every) => {
          for (const fault of [undefined, ...FAULTS]) {
            const checker = new Checker(suite.config, {
              invariants: [],
              properties: [],
              subject: subjectOf(fault),
            });
            const system = systemOf(checker);
            const index = new ScanIndex();
            const name = fault?.id ?? 'impl';
            expectSameVerdicts(system, index, `${name} initial`);
            for (const [i, op] of ops.entries()) {
              if (!applyPastViolations(checker, op, fault !== undefined)) break;
              // checked after every step, or every second or third (the logs span the gap)
              if (i % every === 0) expectSameVerdicts(system, index, `${name} step ${i}`);
            }
          }
        }),
        { seed, numRuns: 10 },
      );
    });

    it(`on maptracks, pins and entries overwritten at random after the checks held (seed ${seed})`, () => {
      const mapFlags = fc.constantFrom(
        0,
        GNTMAP_host_map,
        GNTMAP_device_map,
        GNTMAP_host_map | GNTMAP_device_map,
        GNTMAP_host_map | GNTMAP_readonly,
        GNTMAP_device_map | GNTMAP_readonly,
        GNTMAP_readonly,
      );
      const ref = fc.constantFrom(8, 9, 10, 11, 12);
      const write = fc.oneof(
        fc.record({
          what: fc.constant('map-flags' as const),
          mapper: fc.constantFrom(0, 2),
          handle: fc.integer({ min: 0, max: 4 }),
          value: mapFlags,
        }),
        fc.record({
          what: fc.constant('map-domid' as const),
          mapper: fc.constantFrom(0, 2),
          handle: fc.integer({ min: 0, max: 4 }),
          value: fc.integer({ min: 0, max: 3 }),
        }),
        fc.record({
          what: fc.constant('map-ref' as const),
          mapper: fc.constantFrom(0, 2),
          handle: fc.integer({ min: 0, max: 4 }),
          // a ref beyond the one-frame table, and within it once the table grew
          value: fc.oneof(ref, fc.constant(600)),
        }),
        fc.record({
          what: fc.constant('pin' as const),
          granter: fc.constantFrom(0, 1),
          ref,
          value: fc.constantFrom(0, 1, 0x100, 0x101, 0x10000, 0x1000000, 2),
        }),
        fc.record({
          what: fc.constant('holder' as const),
          granter: fc.constantFrom(0, 1),
          ref,
          value: fc.integer({ min: 0, max: 3 }),
        }),
        fc.record({
          what: fc.constant('flags' as const),
          granter: fc.constantFrom(0, 1),
          ref,
          value: fc.constantFrom(
            0,
            GTF_permit_access,
            GTF_permit_access | GTF_reading,
            GTF_permit_access | GTF_reading | GTF_writing,
            GTF_permit_access | GTF_writing,
            GTF_accept_transfer | GTF_transfer_completed,
            GTF_accept_transfer | GTF_transfer_completed | GTF_transfer_committed,
          ),
        }),
        // a real op between corruptions: the logs carry both
        fc.record({
          what: fc.constant('op' as const),
          op: fc.constantFrom<Op>(
            {
              kind: 'unmap_grant_ref',
              caller: 2,
              batch: [{ hostAddr: 0x2000, devBusAddr: 0, handle: 2 }],
            },
            {
              kind: 'map_grant_ref',
              caller: 2,
              batch: [
                { dom: 1, ref: 9, flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: 0x4000 },
              ],
            },
            { kind: 'grant_access', dom: 1, ref: 11, grantee: 2, gfn: 3, readonly: false },
            // the granter's table grows: a handle naming ref 600 becomes valid
            { kind: 'setup_table', caller: 1, dom: 1, nrFrames: 2 },
          ),
        }),
      );
      let failing = 0;
      let holding = 0;
      fc.assert(
        fc.property(fc.array(write, { minLength: 1, maxLength: 4 }), (writes) => {
          const system = new GrantSystem(suite.config);
          for (const op of SETUP) system.apply(op);
          const index = new ScanIndex();
          expect(expectSameVerdicts(system, index, 'reached')).toBe(0);
          for (const w of writes) {
            const xen = system.xen;
            if (w.what === 'op') system.apply(w.op);
            else if (w.what === 'map-flags')
              xen.domains[w.mapper]?.maptrack.setFlags(w.handle, w.value);
            else if (w.what === 'map-domid')
              xen.domains[w.mapper]?.maptrack.setDomid(w.handle, w.value);
            else if (w.what === 'map-ref')
              xen.domains[w.mapper]?.maptrack.setRef(w.handle, w.value);
            else if (w.what === 'pin')
              xen.domains[w.granter]?.grantTable.active.setPin(w.ref, w.value);
            else if (w.what === 'holder') {
              const act = xen.domains[w.granter]?.grantTable.active;
              act?.setHolder(w.ref, w.value, act.mfnOf(w.ref));
            } else xen.domains[w.granter]?.grantTable.shared.storeFlags(w.ref, w.value);
          }
          const n = expectSameVerdicts(system, index, JSON.stringify(writes));
          if (n > 0) failing++;
          else holding++;
        }),
        { seed, numRuns: 300 },
      );
      expect(failing).toBeGreaterThan(0); // the corruptions do break the checks
      expect(holding).toBeGreaterThan(0);
    });
  }
});
