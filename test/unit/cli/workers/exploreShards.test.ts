// How explore's shards make one verdict (src/cli/workers/exploreShards.ts mergeShards): the
// violation at the lowest parent, else the shortest cut, else every state explored; the checks
// counted over every shard, the mismatches of the verdict's own; a shard's error first, unless
// it came past a lower parent's violation. And one
// shard in this thread (runExploreShard): how it stops, and how it marks its failure.
import { describe, expect, it } from 'vitest';
import type { ExploreStats } from '../../../../src/explore/index.ts';
import { NO_FAILURE, runExploreShard } from '../../../../src/cli/workers/exploreJob.ts';
import { mergeShards } from '../../../../src/cli/workers/exploreShards.ts';
import type {
  ExploreShardDone,
  ExploreShardJob,
  WireExploreOutcome,
} from '../../../../src/cli/workers/protocol.ts';
import { DEFAULT_XEN_BOUNDS } from '../../../../src/xenExplore/index.ts';

const stats = (states: number, rss = 100): ExploreStats => ({
  states,
  transitions: states * 10,
  maxDepth: 5,
  elapsedMs: 1,
  statesPerSec: 1,
  peakHeapBytes: rss / 2,
  peakRssBytes: rss,
  storeBytes: states * 60,
  bytesPerState: 60,
  symmetry: true,
});

function shard(
  index: number,
  outcome: WireExploreOutcome | null,
  extra: Partial<ExploreShardDone> = {},
): ExploreShardDone {
  return {
    kind: 'explore-done',
    shard: index,
    stopped: outcome === null,
    failedAt: null,
    reached: 0,
    outcome,
    conformance: {
      checked: 100 + index,
      mismatches: 0,
      peakSnapshots: 10,
      peakSnapshotBytes: 1000,
    },
    refinement: null,
    ...extra,
  };
}

const violation = (name: string, states: number): WireExploreOutcome => ({
  kind: 'violation',
  violated: { source: 'transition', name, statement: name },
  path: [],
  stats: stats(states),
});

describe('mergeShards', () => {
  it('every shard complete: the search is, its checks summed, its time the whole wall time', () => {
    const m = mergeShards(
      [
        shard(0, { kind: 'ok', stats: stats(50, 300) }),
        shard(1, { kind: 'ok', stats: stats(50, 700) }),
      ],
      2000,
    );
    expect(m.outcome).toMatchObject({ kind: 'ok' });
    expect(m.outcome.stats).toMatchObject({
      states: 50,
      elapsedMs: 2000,
      statesPerSec: 25,
      peakRssBytes: 700,
    });
    expect(m.conformance).toEqual({
      checked: 201,
      mismatches: 0,
      peakSnapshots: 20,
      peakSnapshotBytes: 2000,
    });
  });

  it('the violation at the lowest parent, whichever shard found it, and its mismatches only', () => {
    const later = shard(0, violation('later', 40), { failedAt: 30 });
    const first = shard(1, violation('first', 20), { failedAt: 11 });
    const mismatched = (s: ExploreShardDone, n: number): ExploreShardDone => ({
      ...s,
      conformance: s.conformance && { ...s.conformance, mismatches: n },
    });
    const m = mergeShards([mismatched(later, 1), mismatched(first, 1), shard(2, null)], 10);
    expect(m.outcome).toMatchObject({ kind: 'violation', violated: { name: 'first' } });
    expect(m.conformance?.mismatches).toBe(1);
    expect(m.conformance?.checked).toBe(303); // the stopped shard's checks count too
  });

  it('no violation but a cut: the cut that reached fewest states', () => {
    const cut = (states: number): WireExploreOutcome => ({
      kind: 'limit',
      bound: 'time',
      depth: 3,
      stats: stats(states),
    });
    const m = mergeShards(
      [shard(0, cut(90)), shard(1, cut(70)), shard(2, { kind: 'ok', stats: stats(95) })],
      5,
    );
    expect(m.outcome).toMatchObject({ kind: 'limit', stats: { states: 70 } });
  });

  it("a shard's error is the search's, before any verdict", () => {
    expect(() =>
      mergeShards(
        [
          shard(0, violation('v', 1), { failedAt: 0 }),
          shard(1, null, { stopped: false, error: 'subject died' }),
        ],
        1,
      ),
    ).toThrow('subject died');
    expect(() =>
      mergeShards(
        [
          shard(0, violation('v', 1), { failedAt: 7 }),
          shard(1, null, { stopped: false, error: 'subject died', errorAt: 5 }),
        ],
        1,
      ),
    ).toThrow('subject died');
  });

  it("an error past a lower parent's violation: the violation, as one thread would stop there", () => {
    const m = mergeShards(
      [
        shard(0, violation('v', 1), { failedAt: 7 }),
        shard(1, null, { stopped: false, error: 'subject died', errorAt: 9 }),
      ],
      1,
    );
    expect(m.outcome).toMatchObject({ kind: 'violation', violated: { name: 'v' } });
  });
});

describe('mergeShards: a shard cut by its own time or memory bound', () => {
  // Such a cut is each shard's own: the shard checked the transitions of its parents only up to
  // the last it began (`reached`). A violation another shard found past there may not be the one
  // one thread meets first (it could meet one in the cut shard's unchecked parents, or the bound).
  const cut = (reached: number, bound: 'time' | 'memory' = 'time'): ExploreShardDone =>
    shard(0, { kind: 'limit', bound, depth: 3, stats: stats(70) }, { reached });

  it('a failed check past where the cut shard got: the cut', () => {
    const m = mergeShards([cut(50), shard(1, violation('v', 90), { failedAt: 80 })], 1);
    expect(m.outcome).toMatchObject({ kind: 'limit', bound: 'time' });
    const mem = mergeShards([cut(50, 'memory'), shard(1, violation('v', 90), { failedAt: 80 })], 1);
    expect(mem.outcome).toMatchObject({ kind: 'limit', bound: 'memory' });
  });

  it("a failed check at the parent where the cut shard stopped: the violation (that parent is the failing shard's)", () => {
    const m = mergeShards(
      [cut(80), shard(1, violation('v', 90), { failedAt: 80, reached: 80 })],
      1,
    );
    expect(m.outcome).toMatchObject({ kind: 'violation', violated: { name: 'v' } });
  });

  it('a failed check before it: the violation', () => {
    const m = mergeShards(
      [cut(50), shard(1, violation('v', 30), { failedAt: 30, reached: 30 })],
      1,
    );
    expect(m.outcome).toMatchObject({ kind: 'violation', violated: { name: 'v' } });
  });

  it("the model's own invariant, broken by a state of a parent past the cut: the cut; before it, the violation", () => {
    const model = (reached: number) => shard(1, violation('inv', 60), { reached });
    expect(mergeShards([cut(40), model(60)], 1).outcome).toMatchObject({ kind: 'limit' });
    expect(mergeShards([cut(70), model(60)], 1).outcome).toMatchObject({ kind: 'violation' });
  });

  it('a failed check and a broken invariant at one parent: the check, which comes first', () => {
    const m = mergeShards(
      [
        shard(0, violation('inv', 60), { reached: 12 }),
        shard(1, violation('check', 60), { failedAt: 12, reached: 12 }),
      ],
      1,
    );
    expect(m.outcome).toMatchObject({ violated: { name: 'check' } });
  });

  it('a cut at the states or depth bound comes at one parent in every shard: the violation before it', () => {
    const states = shard(0, { kind: 'limit', bound: 'states', depth: 3, stats: stats(70) });
    const m = mergeShards([states, shard(1, violation('v', 30), { failedAt: 30 })], 1);
    expect(m.outcome).toMatchObject({ kind: 'violation' });
  });
});

describe('mergeShards: whether the summed counts take checks past where the search stopped', () => {
  // Each shard counts what it checked until it stopped; its counts as they stood where the
  // search stopped are not kept. `reached` is the last parent a shard began: a stopped one
  // stopped there, unchecked, on seeing a lower failure.
  const failing = shard(0, violation('v', 20), { failedAt: 12, reached: 12 });
  const stoppedAt = (reached: number) => shard(1, null, { reached });
  const past = (...done: ExploreShardDone[]) => mergeShards(done, 1).countsPastStop;

  it('a violation: not when every other shard stopped at the parent after it', () => {
    expect(past(failing, stoppedAt(13), stoppedAt(13))).toBe(false);
  });

  it('a violation: when a shard had gone further, or failed further on', () => {
    expect(past(failing, stoppedAt(13), stoppedAt(20))).toBe(true);
    const later = shard(2, violation('later', 40), { failedAt: 30, reached: 30 });
    expect(past(failing, stoppedAt(13), later)).toBe(true);
  });

  it("not when every shard completed, or met the states bound at one parent; a time cut's, when another got further", () => {
    const ok = (i: number) => shard(i, { kind: 'ok', stats: stats(50) }, { reached: 49 });
    expect(past(ok(0), ok(1))).toBe(false);
    const cut = (i: number, bound: 'states' | 'time', reached: number) =>
      shard(i, { kind: 'limit', bound, depth: 3, stats: stats(reached) }, { reached });
    expect(past(cut(0, 'states', 40), cut(1, 'states', 40))).toBe(false);
    expect(past(cut(0, 'time', 40), cut(1, 'time', 45))).toBe(true);
  });

  it("not for a shard's error past the violation: its counts are not summed", () => {
    const error = shard(1, null, { stopped: false, error: 'died', errorAt: 20, reached: 20 });
    expect(past(failing, error)).toBe(false);
  });
});

describe("mergeShards: an error in replaying a shard's own failure", () => {
  it('is the search\'s, as in one thread (not "no shard finished")', () => {
    const replayed = shard(0, null, {
      stopped: false,
      failedAt: 10,
      error: 'does not reproduce on replay',
      errorAt: 10,
    });
    expect(() => mergeShards([replayed, shard(1, null, { stopped: true })], 1)).toThrow(
      'does not reproduce on replay',
    );
  });
});

describe('runExploreShard', () => {
  const job = (index: number, count: number): ExploreShardJob => ({
    kind: 'explore-shard',
    shard: { index, count },
    request: {
      xb: DEFAULT_XEN_BOUNDS,
      extras: {},
      kinds: undefined,
      pteMaps: true,
      preset: undefined,
    },
    fault: 'xsa-230-status-host-only',
    conformance: true,
    refinement: false,
    bounds: { maxStates: 2000 },
    progress: false,
    startedAt: Date.now(),
  });
  const cell = (value: number) => new Int32Array(new SharedArrayBuffer(4)).fill(value);

  it('a shard past a lower failing parent stops, and says so, even as the explorer replays', () => {
    const done = runExploreShard(job(1, 2), cell(0), () => {});
    expect(done).toMatchObject({ stopped: true, outcome: null, failedAt: null });
    expect(done.error).toBeUndefined();
  });

  it('the shard that fails lowers the cell to its parent; one with no failure does not', () => {
    const lowest = cell(NO_FAILURE);
    const [a, b] = [0, 1].map((i) => runExploreShard(job(i, 2), lowest, () => {}));
    const failed = [a, b].filter((d) => d?.failedAt !== null);
    expect(failed).toHaveLength(1);
    expect(lowest[0]).toBe(failed[0]?.failedAt);
    expect(failed[0]?.outcome).toMatchObject({ kind: 'violation' });
  });

  it("a shard's error lowers the cell to its parent: the others stop past it, as one thread would", () => {
    const lowest = cell(NO_FAILURE);
    const failing = runExploreShard(
      job(0, 2),
      lowest,
      () => {},
      (check) => (p, a, c, ctx) => {
        if (ctx.parentIndex === 6) throw new Error('subject died');
        return check(p, a, c, ctx);
      },
    );
    expect(failing).toMatchObject({ error: 'subject died', errorAt: 6 });
    expect(lowest[0]).toBe(6);
    expect(runExploreShard(job(1, 2), lowest, () => {})).toMatchObject({ stopped: true });
  });

  it('its time bound counts from when the parent started the search', () => {
    const late = { ...job(0, 2), fault: null, startedAt: Date.now() - 10_000 };
    const done = runExploreShard(
      { ...late, bounds: { timeBudgetMs: 5_000 } },
      cell(NO_FAILURE),
      () => {},
    );
    // spent before the shard began: it stops at its first checkpoint
    expect(done.outcome).toMatchObject({ kind: 'limit', bound: 'time', depth: 0 });
  });

  it('its visited set takes its share of the store bound: every shard holds the whole search', () => {
    const bounds = { maxStoreBytes: 40_000, maxStates: 5_000 };
    const done = runExploreShard({ ...job(0, 2), fault: null, bounds }, cell(NO_FAILURE), () => {});
    expect(done.outcome).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'store', limitBytes: 20_000 },
    });
  });
});
