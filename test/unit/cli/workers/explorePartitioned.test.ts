// A split search's partitions, merged into one search's outcome (src/explore/relay.ts
// `mergeOutcomes`, from the replies by src/cli/workers/explorePartitioned.ts
// `partitionOutcomes`): states, transitions and bytes added, the deepest state, each thread's
// heap added, the process's resident set the highest sample of any thread (the parent's
// included), and an error for a partition that ended without an outcome. And how the parent
// grows the Xen-level search's claim table: within the job's memory bound, against the
// process's resident set.
import { describe, expect, it } from 'vitest';
import type { PartitionOutcome } from '../../../../src/explore/bfs.ts';
import type { ExploreStats } from '../../../../src/explore/outcome.ts';
import type { PartitionedJob } from '../../../../src/cli/workers/explorePartitioned.ts';
import {
  explorePartitioned,
  partitionOutcomes,
} from '../../../../src/cli/workers/explorePartitioned.ts';
import { mergeOutcomes } from '../../../../src/explore/relay.ts';
import type { PartitionDone } from '../../../../src/cli/workers/protocol.ts';
import { XEN_PRESETS } from '../../../../src/xenExplore/index.ts';

const MiB = 2 ** 20;

function done(index: number, stats: Partial<ExploreStats>): PartitionDone {
  const outcome: PartitionOutcome = {
    end: { kind: 'ok' },
    depth: 7,
    stats: {
      states: 0,
      transitions: 0,
      maxDepth: 0,
      elapsedMs: 1,
      statesPerSec: 0,
      peakHeapBytes: 0,
      peakRssBytes: 0,
      storeBytes: 0,
      bytesPerState: 0,
      symmetry: false,
      ...stats,
    },
  };
  return { kind: 'partition-done', index, outcome };
}

describe("a split search's partitions, merged", () => {
  const parts = [
    done(0, {
      states: 300,
      transitions: 2_000,
      maxDepth: 7,
      storeBytes: 6_000,
      peakHeapBytes: 40 * MiB,
      peakRssBytes: 200 * MiB,
    }),
    done(1, {
      states: 100,
      transitions: 1_000,
      maxDepth: 6,
      storeBytes: 2_000,
      peakHeapBytes: 30 * MiB,
      peakRssBytes: 180 * MiB,
    }),
  ];

  it('adds what each thread holds and keeps the deepest state and the highest RSS', () => {
    const m = mergeOutcomes(partitionOutcomes(parts), 2_000);
    expect(m.end).toEqual({ kind: 'ok' });
    expect(m.depth).toBe(7);
    expect(m.stats).toMatchObject({
      states: 400,
      transitions: 3_000,
      maxDepth: 7,
      elapsedMs: 2_000,
      statesPerSec: 200,
      storeBytes: 8_000,
      bytesPerState: 20,
      peakHeapBytes: 70 * MiB,
      peakRssBytes: 200 * MiB,
    });
  });

  it("takes the parent's resident set when it sampled a higher one", () => {
    expect(mergeOutcomes(partitionOutcomes(parts), 2_000, 210 * MiB).stats.peakRssBytes).toBe(
      210 * MiB,
    );
    expect(mergeOutcomes(partitionOutcomes(parts), 2_000, 150 * MiB).stats.peakRssBytes).toBe(
      200 * MiB,
    );
  });

  it('refuses a partition that ended without an outcome', () => {
    const failed: PartitionDone = { kind: 'partition-done', index: 1, outcome: null, error: 'x' };
    expect(() => partitionOutcomes([parts[0] as PartitionDone, failed])).toThrow(
      'explore: a partition ended without an outcome',
    );
  });
});

describe('explorePartitioned: the claim table grows within the bound the job gives', () => {
  // The basic preset split two ways (workers run from the sources, through tsx). The first claim
  // table is 256 KiB, so its first growth needs 512 KiB more, and 60 000 states need a few. The
  // resident set is given here, so the test does not depend on what this process holds.
  const GiB = 2 ** 30;
  const job = (bounds: PartitionedJob['bounds']): PartitionedJob => ({
    model: {
      kind: 'xen',
      request: {
        xb: XEN_PRESETS.basic.bounds,
        extras: XEN_PRESETS.basic.extras,
        kinds: XEN_PRESETS.basic.kinds,
        pteMaps: false,
        preset: 'basic',
      },
    },
    symmetry: true,
    bounds,
  });

  it('a growth past --max-memory ends the search at the memory bound, as the claim table grows', async () => {
    const limit = 4 * GiB + 64 * 1024;
    const split = await explorePartitioned(
      job({ maxMemoryBytes: limit, maxStates: 60_000 }),
      2,
      undefined,
      () => 4 * GiB,
    );
    expect(split.end).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'rss', limitBytes: limit, projected: true, growing: 'claim table' },
    });
    expect(split.stats.states).toBeLessThan(60_000);
  }, 60_000);

  it('a growth within the bound is made: the same search runs on to its states bound', async () => {
    const split = await explorePartitioned(
      job({ maxMemoryBytes: 4 * GiB + 2 ** 26, maxStates: 60_000 }),
      2,
      undefined,
      () => 4 * GiB,
    );
    expect(split.end).toMatchObject({ kind: 'limit', bound: 'states' });
  }, 60_000);
});
