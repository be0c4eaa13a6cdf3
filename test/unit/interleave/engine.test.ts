// The interleaving engine (src/interleave): the default race passes on the correct impl in both
// modes; the reduction explores fewer schedules and reaches the same outcomes; locks block, a
// writer holds readers back only once it has arrived (Xen's percpu rwlock), deadlocks and misuse
// are reported; a guest spinning for GTF_transfer_completed waits for Xen.

import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import type { GrantConfig } from '../../../src/config.ts';
import { raceConfig } from '../../../src/faults/race.ts';
import type { ImplParts } from '../../../src/impl/index.ts';
import { abstract, DEFAULT_PARTS } from '../../../src/impl/index.ts';
import { FAULTS } from '../../../src/faults/index.ts';
import { exploreSchedules, independent } from '../../../src/interleave/exhaustive.ts';
import { randomInterleavings } from '../../../src/interleave/random.ts';
import type { Scenario } from '../../../src/interleave/scenario.ts';
import { scenarioProblem } from '../../../src/interleave/scenario.ts';
import { InterleavedRun, startOf } from '../../../src/interleave/run.ts';
import { stateKey } from '../../../src/model/index.ts';
import { formatResult } from '../../../src/ops/text.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { raceOpArbitrary } from '../../../properties/generators/interleave.ts';
import { DEFAULT_RACE, RACE_TARGETS } from '../../../properties/interleave.ts';
import { op } from '../../support/ops.ts';
import { testSeeds } from '../../support/seeds.ts';

const config = makeConfig({});
const options = { reduction: true, invariants: INVARIANTS };

/** Every schedule's outcome, by running every schedule: the ops' results in program order and
 * the final state's key. */
function outcomes(
  scenario: Scenario,
  parts: Partial<ImplParts>,
  cfg: GrantConfig = config,
): Set<string> {
  const seen = new Set<string>();
  const start = startOf(cfg, parts, scenario);
  const visit = (prefix: number[]) => {
    const run = new InterleavedRun(start);
    for (const a of prefix) run.step(a);
    const enabled = run.enabledActors();
    if (enabled.length === 0) {
      seen.add(outcomeOf(run));
      return;
    }
    for (const a of enabled) visit([...prefix, a]);
  };
  visit([]);
  return seen;
}

function outcomeOf(run: InterleavedRun): string {
  const results = [...run.completed]
    .sort((x, y) => x.actor - y.actor || x.invoked - y.invoked)
    .map((c) => `a${c.actor} ${formatResult(c.result)}`);
  return `${results.join(', ')} | ${stateKey(abstract(run.system))}`;
}

describe('interleave: the default race on the correct impl', () => {
  it('passes the exhaustive mode over its two programs of three ops', () => {
    const start = startOf(config, {}, DEFAULT_RACE);
    const o = exploreSchedules(start, options);
    expect(o.failure).toBeUndefined();
    expect(o.limitReached).toBe(false);
    // Pinned: 4,627 schedules with sleep sets (1,052,456 without: `grantcheck interleave
    // --mode exhaustive --no-reduction`, ~200 s)
    expect(o.schedules).toBe(4627);
  });

  it('passes the random mode (pinned seeds and a fresh one)', () => {
    for (const seed of testSeeds('interleave random')) {
      const o = randomInterleavings({
        config,
        parts: {},
        setup: DEFAULT_RACE.setup,
        actors: DEFAULT_RACE.actors,
        arbitrary: (kind, dom) => raceOpArbitrary(kind, dom, RACE_TARGETS),
        invariants: INVARIANTS,
        seed,
        runs: 300,
        maxOps: 3,
      });
      expect(o, `seed ${seed}`).toMatchObject({ kind: 'pass', runs: 300 });
    }
  });
});

describe('interleave: the reduction', () => {
  // Small enough to run every schedule: d1 ends its grant while d2 maps it.
  const small: Scenario = {
    setup: [op('grant_access(d1 ref=8 -> d2 gfn=0 rw)')],
    actors: [
      { dom: 1, ops: [op('end_access(d1 ref=8)')] },
      { dom: 2, ops: [op('map(d2: d1 ref=8 host @0x1000)')] },
    ],
  };

  it('explores fewer schedules than the full search, and both pass', () => {
    const start = startOf(config, {}, small);
    const full = exploreSchedules(start, { ...options, reduction: false });
    const reduced = exploreSchedules(start, options);
    expect(full.failure).toBeUndefined();
    expect(reduced.failure).toBeUndefined();
    expect(full.schedules).toBe(78);
    expect(reduced.schedules).toBe(14);
  });

  it('reaches every outcome the full search reaches (results and final state)', () => {
    const all = outcomes(small, {});
    // Both orders of the race: the end wins (the map then fails), or the map wins (in_use).
    expect([...all].map((o) => o.split(' | ')[0])).toEqual(
      expect.arrayContaining([
        'a0 ended, a1 [general_error]',
        'a0 in_use, a1 [okay h=0 dev=0x104000]',
      ]),
    );
    const reduced = new Set<string>();
    const o = exploreSchedules(startOf(config, {}, small), {
      ...options,
      onSchedule: (run) => reduced.add(outcomeOf(run)),
    });
    expect(o.schedules).toBe(14);
    expect(reduced).toEqual(all);
  });
});

describe("interleave: a writer's arrival at the grant lock (Xen's percpu rwlock)", () => {
  // d1 grants 8, 9 and 10 to d2 (gfns 0, 1, 2: device addresses 0x104000, 0x105000, 0x106000).
  const grants = [
    op('grant_access(d1 ref=8 -> d2 gfn=0 rw)'),
    op('grant_access(d1 ref=9 -> d2 gfn=1 rw)'),
    op('grant_access(d1 ref=10 -> d2 gfn=2 rw)'),
  ];

  it('a writer at its acquire holds no reader back until it arrives, which it can only while readers hold the lock', () => {
    const scenario: Scenario = {
      setup: grants,
      actors: [
        { dom: 1, ops: [op('swap(d1: ref=8 <-> ref=9)')] },
        { dom: 2, ops: [op('map(d2: d1 ref=8 host @0x1000)')] },
        { dom: 0, ops: [op('query_size(d0: dom=d1)')] },
      ],
    };
    const run = new InterleavedRun(startOf(config, {}, scenario));
    run.step(0); // the swap begins: at its write acquire, the lock free
    run.step(1); // the map begins: at its read acquire
    expect(run.next(0)).toMatchObject({ lock: 'grant:d1', mode: 'write' });
    expect(run.enabledActors()).toEqual([0, 1, 2]);
    run.step(1); // the map takes the read lock ahead of the swap
    run.step(2); // query_size begins: at its read acquire, which it could still take
    expect(run.enabledActors()).toEqual([0, 1, 2]);
    expect(run.step(0)).toMatchObject({ arrived: true }); // the swap arrives
    expect(run.next(0)).toMatchObject({ lock: 'grant:d1', mode: 'write', action: 'acquire' });
    expect(run.enabledActors()).toEqual([1]); // a new reader waits behind it, so does the swap
    while (!run.finished(1)) run.step(1);
    expect(run.enabledActors()).toEqual([0]); // the lock is free, but the arrived writer's
    run.step(0);
    expect(run.enabledActors()).toEqual([0]);
  });

  it('finds a map between two elements of a swap batch: okay, the map, eagain', () => {
    // The first element leaves the grant lock and the same step runs on to the second's write
    // acquire. Xen's reader may take the free lock there: ref 9 then holds ref 8's old entry
    // (gfn 0), which the map pins, and the second element finds ref 9 pinned.
    const scenario: Scenario = {
      setup: grants,
      actors: [
        { dom: 1, ops: [op('swap(d1: ref=8 <-> ref=9; ref=9 <-> ref=10)')] },
        { dom: 2, ops: [op('map(d2: d1 ref=9 host @0x1000)')] },
      ],
    };
    const all = outcomes(scenario, {});
    expect([...all].map((o) => o.split(' | ')[0]).sort()).toEqual([
      'a0 [eagain, eagain], a1 [okay h=0 dev=0x105000]', // the map first
      'a0 [okay, eagain], a1 [okay h=0 dev=0x104000]', // between the elements
      'a0 [okay, okay], a1 [okay h=0 dev=0x106000]', // the map last
    ]);
    const reduced = new Set<string>();
    const o = exploreSchedules(startOf(config, {}, scenario), {
      ...options,
      onSchedule: (run) => reduced.add(outcomeOf(run)),
    });
    expect(o.failure).toBeUndefined();
    expect(o.schedules).toBe(12);
    expect(reduced).toEqual(all);
  });
});

describe('interleave: the reduction with a writer and two readers of one lock', () => {
  // d1's swap writes d1's grant lock; d2's map and d0's query_size read it. The swap can arrive
  // while either reader holds the lock, or both, and hold the other back.
  const scenario: Scenario = {
    setup: [
      op('grant_access(d1 ref=8 -> d2 gfn=0 rw)'),
      op('grant_access(d1 ref=9 -> d2 gfn=1 rw)'),
    ],
    actors: [
      { dom: 1, ops: [op('swap(d1: ref=8 <-> ref=9)')] },
      { dom: 2, ops: [op('map(d2: d1 ref=8 host @0x1000)')] },
      { dom: 0, ops: [op('query_size(d0: dom=d1)')] },
    ],
  };

  it('reaches every outcome the full search reaches (results and final state)', () => {
    const all = outcomes(scenario, {});
    expect(all.size).toBe(2); // the swap before the map (okay) or after it (eagain)
    const reduced = new Set<string>();
    const o = exploreSchedules(startOf(config, {}, scenario), {
      ...options,
      onSchedule: (run) => reduced.add(outcomeOf(run)),
    });
    expect(o.failure).toBeUndefined();
    // Pinned: 112 schedules with sleep sets, 1,600 without.
    expect(o.schedules).toBe(112);
    expect(
      exploreSchedules(startOf(config, {}, scenario), { ...options, reduction: false }).schedules,
    ).toBe(1600);
    expect(reduced).toEqual(all);
  });
});

describe('interleave: independence of lock steps', () => {
  const read = { kind: 'lock', action: 'acquire', mode: 'read', lock: 'grant:d1' } as const;
  const write = { kind: 'lock', action: 'acquire', mode: 'write', lock: 'grant:d1' } as const;
  const access = { kind: 'shared', access: 'load', field: 'combo', dom: 1, ref: 8 } as const;

  it('two read acquires of one lock are independent, a writer at its acquire or not', () => {
    expect(
      independent(
        { actor: 0, pause: read, returned: false },
        { actor: 1, pause: read, returned: false },
      ),
    ).toBe(true);
  });

  it("a step that drops a lock is ordered with a writer's arrival at it, and only with that", () => {
    const drops = { actor: 0, pause: access, returned: false, released: ['grant:d1'] };
    const arrival = { actor: 1, pause: write, returned: false, arrived: true } as const;
    expect(independent(drops, arrival)).toBe(false);
    expect(independent(arrival, drops)).toBe(false);
    expect(independent(drops, { actor: 1, pause: read, returned: false })).toBe(true);
    const other = { ...write, lock: 'grant:d2' };
    expect(independent(drops, { actor: 1, pause: other, returned: false })).toBe(true);
  });
});

describe('interleave: the reduction on every race fault scenario (correct impl)', () => {
  const races = FAULTS.filter((f) => f.race !== undefined);
  it.each(races.map((f) => [f.id, f.race!] as const))(
    '%s: the reduced search reaches every outcome of the full one',
    (_, race) => {
      const scenario: Scenario = { setup: race.setup, actors: race.actors };
      const cfg = raceConfig(config, race);
      const reduced = new Set<string>();
      const o = exploreSchedules(startOf(cfg, {}, scenario), {
        ...options,
        onSchedule: (run) => reduced.add(outcomeOf(run)),
      });
      expect(o.failure).toBeUndefined();
      expect(reduced).toEqual(outcomes(scenario, {}, cfg));
    },
  );
});

describe('interleave: locks, deadlocks, spins', () => {
  it('a scenario names one actor per domain, each with its own ops', () => {
    expect(scenarioProblem(DEFAULT_RACE, 3)).toBeNull();
    const twice = { setup: [], actors: [DEFAULT_RACE.actors[0]!, DEFAULT_RACE.actors[0]!] };
    expect(scenarioProblem(twice, 3)).toMatch(/both d1's one vCPU/);
    const foreign = { setup: [], actors: [{ dom: 2, ops: [op('end_access(d1 ref=8)')] }] };
    expect(scenarioProblem(foreign, 3)).toMatch(/has an op of d1/);
  });

  it('an actor waiting for a held lock is not enabled until it is released', () => {
    // d0's setup_table of d1 holds d1's grant write lock; d2's map of d1 waits for the read lock.
    const scenario: Scenario = {
      setup: [op('grant_access(d1 ref=8 -> d2 gfn=0 rw)')],
      actors: [
        { dom: 0, ops: [op('setup_table(d0: dom=d1 frames=2)')] },
        { dom: 2, ops: [op('map(d2: d1 ref=8 host @0x1000)')] },
      ],
    };
    const run = new InterleavedRun(startOf(config, {}, scenario));
    run.step(0); // begin: paused before the write lock
    run.step(0); // takes it: paused before page_alloc_lock
    run.step(1); // d2's map begins: paused before the read lock
    expect(run.next(1)).toMatchObject({ kind: 'lock', lock: 'grant:d1', mode: 'read' });
    expect(run.enabledActors()).toEqual([0]);
    while (!run.finished(0)) run.step(0);
    expect(run.enabledActors()).toEqual([1]);
  });

  it('a lock cycle is a deadlock, naming who waits for what', () => {
    // Transfer holding the receiver's page_alloc_lock into its grant lock (XSA-73's order).
    const holdPageAlloc: ImplParts['prepareForTransfer'] = function* (xen, rd, ld, ref) {
      const e = xen.domain(rd);
      yield e.locks.pageAllocLock;
      const committed = yield* DEFAULT_PARTS.prepareForTransfer(xen, rd, ld, ref);
      yield e.locks.pageAllocUnlock;
      return committed;
    };
    const scenario: Scenario = {
      setup: [op('grant_transfer(d2 ref=9 <- d1 gfn=1)')],
      actors: [
        { dom: 1, ops: [op('transfer(d1: gfn=2 -> d2 ref=9)')] },
        { dom: 0, ops: [op('setup_table(d0: dom=d2 frames=2)')] },
      ],
    };
    const o = exploreSchedules(
      startOf(config, { prepareForTransfer: holdPageAlloc }, scenario),
      options,
    );
    expect(o.failure?.violation).toEqual({
      check: 'deadlock',
      message:
        'a0 waits for grant:d2 (read) held by a1; a1 waits for page_alloc:d2 (write) held by a0',
    });
  });

  it("no lock cycle between a sender's steal and a receiver's completion: every sender is PV", () => {
    // a0's completion holds d1's grant lock (read) and wants its p2m lock; a1, d1 sending to
    // itself, steals under no p2m lock (a PV guest's get_gfn takes none), so it never holds one
    // while it waits for the grant lock that a2's setup_table queues for (session 37's review:
    // the impl held the sender's p2m lock across the commit, a deadlock Xen cannot have).
    const scenario: Scenario = {
      setup: [
        op('grant_transfer(d1 ref=9 <- d2 gfn=1)'),
        op('grant_transfer(d1 ref=10 <- d1 gfn=1)'),
      ],
      actors: [
        { dom: 2, ops: [op('transfer(d2: gfn=2 -> d1 ref=9)')] },
        { dom: 1, ops: [op('transfer(d1: gfn=2 -> d1 ref=10)')] },
        { dom: 0, ops: [op('setup_table(d0: dom=d1 frames=2)')] },
      ],
    };
    const o = exploreSchedules(startOf(config, {}, scenario), options);
    expect(o.failure).toBeUndefined();
    expect(o.schedules).toBeGreaterThan(100);
  });

  it('an op returning with a lock held is a misuse', () => {
    const leaky: ImplParts['guestEndAccess'] = function* (guest) {
      yield { kind: 'lock', action: 'acquire', mode: 'write', lock: `grant:d${guest.dom}` };
      return { kind: 'end_access', outcome: 'einval' };
    };
    const scenario: Scenario = {
      setup: [],
      actors: [{ dom: 1, ops: [op('end_access(d1 ref=8)')] }],
    };
    const o = exploreSchedules(startOf(config, { guestEndAccess: leaky }, scenario), options);
    expect(o.failure?.violation).toEqual({
      check: 'lock-misuse',
      message: "a0's op returned holding grant:d1",
    });
  });

  it('end_transfer racing a transfer spins until Xen completes it, in every schedule', () => {
    const scenario: Scenario = {
      setup: [op('grant_transfer(d2 ref=8 <- d1 gfn=1)')],
      actors: [
        { dom: 1, ops: [op('transfer(d1: gfn=2 -> d2 ref=8)')] },
        { dom: 2, ops: [op('end_transfer(d2 ref=8)')] },
      ],
    };
    const start = startOf(config, {}, scenario);
    const o = exploreSchedules(start, { ...options, reduction: false });
    expect(o.failure).toBeUndefined();
    // The guest's schedules see cancelled (before the commit) or completed (after), never pending.
    const results = new Set<string>();
    const visit = (prefix: number[]) => {
      const run = new InterleavedRun(start);
      for (const a of prefix) run.step(a);
      const enabled = run.enabledActors();
      if (enabled.length === 0) {
        for (const c of run.completed) if (c.actor === 1) results.add(formatResult(c.result));
        return;
      }
      for (const a of enabled) visit([...prefix, a]);
    };
    visit([]);
    expect([...results].sort()).toEqual(['cancelled', 'completed frame=0x106']);
  });
});
