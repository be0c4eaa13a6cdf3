// The race faults of the catalogue (those with a `race` search, src/faults) against the
// interleaving engine (src/interleave): the exhaustive search of each fault's canonical scenario
// finds the violation its `caughtBy` names, and the correct impl passes the same scenario with
// the same bounds. Without a preemption no fault shows: each needs one actor stopped mid-op.
import { describe, expect, it } from 'vitest';
import { makeConfig, vcpusOf } from '../../src/config.ts';
import { scenarioProblem } from '../../src/interleave/scenario.ts';
import { FAULTS } from '../../src/faults/index.ts';
import type { Fault } from '../../src/faults/index.ts';
import type { ImplParts } from '../../src/impl/index.ts';
import { finalVerdict } from '../../src/interleave/check.ts';
import type { ExhaustiveOutcome } from '../../src/interleave/exhaustive.ts';
import { exploreSchedules } from '../../src/interleave/exhaustive.ts';
import { InterleavedRun, startOf } from '../../src/interleave/run.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { raceOpArbitrary } from '../../properties/generators/interleave.ts';
import { RACE_TARGETS } from '../../properties/interleave.ts';
import { killRace, raceConfig } from '../../src/faults/race.ts';

const config = makeConfig();

function explore(fault: Fault, parts: Partial<ImplParts>, preemptionBound?: number) {
  if (fault.race === undefined) throw new Error(`${fault.id} has no race`);
  return exploreSchedules(startOf(raceConfig(config, fault.race), parts, fault.race), {
    reduction: true,
    invariants: INVARIANTS,
    ...(preemptionBound !== undefined ? { preemptionBound } : {}),
  });
}

function violationOf(o: ExhaustiveOutcome) {
  const v = o.failure?.violation;
  if (v === undefined) return undefined;
  return v.check === 'invariant' ? { check: v.check, name: v.name } : { check: v.check };
}

/** What each race's exhaustive search finds first (depth first, with the reduction), and the
 * schedules the correct impl's full search explores. */
const EXPECTED: Readonly<
  Record<
    string,
    {
      violation: { check: string; name?: string };
      /** What the search bounded to one preemption finds first, when that differs. */
      withOne?: { check: string; name?: string };
      message?: string;
      correctSchedules: number;
    }
  >
> = {
  'xsa-73-transfer-lock-order': {
    violation: { check: 'deadlock' },
    message:
      'a0 waits for grant:d2 (read) held by a1; a1 waits for page_alloc:d2 (write) held by a0',
    // 14, not 8, since a writer at its acquire holds no reader back until it arrives (a step
    // taken while readers hold the lock): the transfer's reads ahead of a waiting setup_table,
    // and setup_table's arrival in either of the transfer's two holds of d2's grant lock.
    correctSchedules: 14,
  },
  'xsa-218-unmap-no-locked-recheck': {
    violation: { check: 'invariant', name: 'pin-range' },
    correctSchedules: 9,
  },
  'xsa-295-set-status-gives-up': {
    violation: { check: 'invariant', name: 'status-bits-mirror-pins' },
    correctSchedules: 14,
  },
  'set-status-not-atomic': {
    violation: { check: 'not-linearizable' },
    message: 'after a0 end_access(d1 ref=8) → ended',
    correctSchedules: 14,
  },
  'transfer-commit-not-atomic': { violation: { check: 'not-linearizable' }, correctSchedules: 22 },
  'swap-unlocked-pin-check': {
    violation: { check: 'invariant', name: 'status-bits-mirror-pins' },
    // 8, not 4: the map's read lock ahead of a swap already at its write acquire, and the
    // swap's arrival while the map holds it (both after the swap began, or after the map did).
    correctSchedules: 8,
  },
  'end-access-non-atomic': {
    violation: { check: 'invariant', name: 'status-bits-mirror-pins' },
    correctSchedules: 14,
  },
  'xsa-228-maptrack-pop-split': {
    violation: { check: 'invariant', name: 'pin-accounting' },
    withOne: { check: 'invariant', name: 'free-list-integrity' },
    correctSchedules: 14,
  },
  'end-access-ignores-concurrent-writing': {
    violation: { check: 'not-linearizable' },
    message: 'after a0 end_access(d1 ref=8) → ended',
    correctSchedules: 14,
  },
};

const RACES = FAULTS.filter((f) => f.race !== undefined);

describe('the race faults', () => {
  it('are the nine expected, each with distinct vCPUs as actors', () => {
    expect(RACES.map((f) => f.id).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const f of RACES) {
      const vcpus = f.race!.actors.map((a) => `${a.dom}.${a.vcpu ?? 0}`);
      expect(new Set(vcpus).size, f.id).toBe(vcpus.length);
      const config = raceConfig(makeConfig(), f.race);
      expect(scenarioProblem(f.race!, config.domains, vcpusOf(config)), f.id).toBeNull();
    }
  });
});

describe.each(RACES.map((f) => [f.id, f] as const))('race fault %s', (id, fault) => {
  const expected = EXPECTED[id]!;

  it(`is caught by the exhaustive search: ${fault.caughtBy}`, () => {
    const o = explore(fault, fault.parts);
    expect(violationOf(o)).toEqual(expected.violation);
    if (expected.message !== undefined) {
      expect(o.failure?.violation.message).toContain(expected.message);
    }
    expect(o.limitReached).toBe(false);
  });

  it('is not caught without a preemption (every op runs whole), and is with one', () => {
    expect(explore(fault, fault.parts, 0).failure).toBeUndefined();
    expect(violationOf(explore(fault, fault.parts, 1))).toEqual(
      expected.withOne ?? expected.violation,
    );
  });

  // (The end_transfer of transfer-commit-not-atomic's scenario may find the entry committed but
  // not yet completed: it spins, as Linux does, until Xen completes it.)
  it('the correct impl passes the same scenario', () => {
    const o = explore(fault, {});
    expect(o.failure).toBeUndefined();
    expect(o.schedules).toBe(expected.correctSchedules);
  });
});

describe('transfer-commit-not-atomic, the race itself', () => {
  const fault = RACES.find((f) => f.id === 'transfer-commit-not-atomic')!;

  /** a0 (the transfer) for `first` steps, then a1 (the receiver's end_transfer) to its end,
   * then a0 to its end. */
  function cancelBetween(parts: Partial<ImplParts>, first: number) {
    const run = new InterleavedRun(startOf(config, parts, fault.race!));
    for (let i = 0; i < first; i++) run.step(0);
    while (!run.finished(1)) run.step(1);
    while (!run.finished(0)) run.step(0);
    return { run, verdict: finalVerdict(run) };
  }

  // Steps of a0: begin; page_alloc lock; grant read lock; load of the entry; its commit; (a PV
  // sender takes no p2m lock)
  const AFTER_LOAD = 4;

  it("the receiver's cancel between Xen's load and its commit is overwritten", () => {
    const { run, verdict } = cancelBetween(fault.parts, AFTER_LOAD);
    expect(run.completed.map((c) => c.result)).toEqual([
      { kind: 'end_transfer', outcome: 'cancelled' },
      { kind: 'transfer', statuses: [0] },
    ]);
    expect(verdict?.check).toBe('not-linearizable');
  });

  it('the correct impl refuses the transfer in the same schedule (its cmpxchg fails)', () => {
    const { run, verdict } = cancelBetween({}, AFTER_LOAD);
    expect(run.completed.map((c) => c.result)).toEqual([
      { kind: 'end_transfer', outcome: 'cancelled' },
      { kind: 'transfer', statuses: [-1] },
    ]);
    expect(verdict).toBeNull();
  });
});

describe('race faults through both modes, as grantcheck faults runs them', () => {
  const RACES_ALL = FAULTS.filter((f) => f.race !== undefined);
  it.each(RACES_ALL.map((f) => [f.id, f] as const))(
    '%s: caught by the random mode (shrunk) and the exhaustive one (fewest preemptions), no false alarm',
    (_, fault) => {
      const kill = killRace(fault, {
        config,
        seed: 1,
        runs: 10_000,
        maxOps: 3,
        invariants: INVARIANTS,
        arbitrary: (kind, dom) => raceOpArbitrary(kind, dom, RACE_TARGETS),
      });
      if (kill === undefined) throw new Error('no race');
      expect(kill.falseAlarm).toBe(false);
      expect(kill.random.kind).toBe('violation');
      const found = kill.exhaustive.failure;
      expect(found?.preemptions).toBe(1);
      if (kill.random.kind === 'violation' && found) {
        // Shrunk: no longer than the exhaustive mode's shortest schedule over the canonical
        // programs, plus two steps.
        expect(kill.random.found.schedule.length).toBeLessThanOrEqual(found.schedule.length + 2);
      }
    },
  );
});

describe('xsa-218-unmap-no-locked-recheck, the race itself', () => {
  const fault = RACES.find((f) => f.id === 'xsa-218-unmap-no-locked-recheck')!;
  const vcpuConfig = raceConfig(config, fault.race);

  /** a0's unmap for `first` steps, then a1's unmap of the same handle to its end, then a0's. */
  function secondBetween(parts: Partial<ImplParts>, first: number) {
    const run = new InterleavedRun(startOf(vcpuConfig, parts, fault.race!));
    for (let i = 0; i < first; i++) run.step(0);
    while (!run.finished(1)) run.step(1);
    while (!run.finished(0)) run.step(0);
    const d1 = run.system.xen.domains[1]!;
    return {
      statuses: run.completed.map((c) => c.result),
      pin: d1.grantTable.active.pinOf(8),
      verdict: finalVerdict(run),
    };
  }

  // Steps of a0: begin (to the grant read lock); the grant read lock, the flags read under it.
  const AFTER_FLAGS = 2;

  it('both unmaps pass when the second reads the flags before the first takes the active entry lock', () => {
    const { statuses, pin, verdict } = secondBetween(fault.parts, AFTER_FLAGS);
    expect(statuses).toEqual([
      { kind: 'unmap_grant_ref', statuses: [0] },
      { kind: 'unmap_grant_ref', statuses: [0] },
    ]);
    expect(pin).toBe(0xff000000); // devr 1, dropped twice
    expect(verdict?.check).toBe('not-linearizable'); // no atomic order has two okays
  });

  it('the correct impl refuses the second unmap in the same schedule (its re-check under the active entry lock)', () => {
    const { statuses, pin, verdict } = secondBetween({}, AFTER_FLAGS);
    expect(statuses).toEqual([
      { kind: 'unmap_grant_ref', statuses: [0] },
      { kind: 'unmap_grant_ref', statuses: [-4] },
    ]);
    expect(pin).toBe(0);
    expect(verdict).toBeNull();
  });
});
