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
});
