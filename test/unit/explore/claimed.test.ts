// The search split by claims (src/explore/claimed.ts) in real worker threads, the rounds relayed
// by this thread through PartitionRelay (src/explore/relay.ts), against `explore` in one thread
// on a lattice model whose states carry a path-dependent ghost (./lattice.ts): together the
// partitions store and expand exactly one thread's states, each with the ghost of the path one
// thread stored it by, and end as one thread does (complete, cut at a depth, at the states bound, at a
// violation that depends on the ghost). The Xen-level model's split runs through the built
// command in test/cli/workers.test.ts.

import { createRequire } from 'node:module';
import { MessageChannel, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { PartitionOutcome } from '../../../src/explore/bfs.ts';
import { explore } from '../../../src/explore/bfs.ts';
import { ClaimTable } from '../../../src/explore/claims.ts';
import type { PartitionRound } from '../../../src/explore/partition.ts';
import type { RoundReply } from '../../../src/explore/relay.ts';
import { mergeOutcomes, PartitionRelay } from '../../../src/explore/relay.ts';
import type { LatticeJob } from './claimedWorker.ts';
import type { LatticePoint } from './lattice.ts';
import { latticeModel, notAt, notReachedBy } from './lattice.ts';

type Job = Omit<LatticeJob, 'index' | 'count' | 'claims' | 'port'>;

interface Split {
  readonly outcomes: PartitionOutcome[];
  /** Every state a partition expanded, as `coordinates@ghost`, without repeats. */
  readonly expanded: Set<string>;
  /** Rounds where a partition's claims found the table full (made again after it grew). */
  readonly refills: number;
}

function tsxApi(): string {
  return createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
}

/** The search split into `count` partitions, each in a worker thread. */
function splitSearch(job: Job, count: number, table = ClaimTable.create(0)): Promise<Split> {
  const relay = new PartitionRelay(table);
  const entry = new URL('./claimedWorker.ts', import.meta.url).href;
  const code =
    `import(${JSON.stringify(`file://${tsxApi()}`)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Promise((resolve, reject) => {
    const ports: MessageChannel['port1'][] = [];
    const workers: Worker[] = [];
    const replies: RoundReply[] = [];
    const outcomes: PartitionOutcome[] = [];
    const expanded = new Set<string>();
    let waiting = count;
    let finished = 0;
    let refills = 0;
    for (let index = 0; index < count; index++) {
      const { port1, port2 } = new MessageChannel();
      const data: LatticeJob = { ...job, index, count, claims: table.buffers, port: port2 };
      const w = new Worker(code, { eval: true, workerData: data, transferList: [port2] });
      w.on('error', reject);
      workers.push(w);
      ports.push(port1);
      port1.on('message', (m: { kind: string; index: number } & Record<string, unknown>) => {
        if (m.kind === 'round') {
          replies[m.index] = m as unknown as RoundReply;
          if (--waiting > 0) return;
          const answers: PartitionRound[] = relay.answer(replies);
          if (answers[0]?.claims?.again) refills++;
          answers.forEach((a, to) => ports[to]?.postMessage(a));
          waiting = count;
          return;
        }
        outcomes[m.index] = m['outcome'] as PartitionOutcome;
        for (const e of m['expanded'] as string[]) expanded.add(e);
        if (++finished < count) return;
        for (const p of ports) p.close();
        void Promise.all(workers.map((x) => x.terminate())).then(() =>
          resolve({ outcomes, expanded, refills }),
        );
      });
    }
  });
}

/** The same search in this thread: its outcome and every state it expanded, as
 * `coordinates@ghost`. */
function oneThread(job: Job) {
  const expanded = new Set<string>();
  const model = latticeModel({
    ...job.lattice,
    invariants: [
      ...(job.failing ? [notReachedBy(job.failing.sum, job.failing.ghost)] : []),
      ...(job.target ? [notAt(job.target.at, job.target.ghost)] : []),
    ],
    decoded: (s: LatticePoint) => expanded.add(`${s.at.join(',')}@${s.ghost}`),
  });
  const outcome = explore(model, {
    ...(job.maxDepth === undefined ? {} : { maxDepth: job.maxDepth }),
    ...(job.maxStates === undefined ? {} : { maxStates: job.maxStates }),
  });
  return { outcome, expanded };
}

const sum = (o: readonly PartitionOutcome[], f: (x: PartitionOutcome) => number) =>
  o.reduce((n, x) => n + f(x), 0);

/** Every point of the lattice. */
function latticePoints(o: { readonly dims: number; readonly size: number }): number[][] {
  let points: number[][] = [[]];
  for (let d = 0; d < o.dims; d++) {
    points = points.flatMap((p) => Array.from({ length: o.size + 1 }, (_, c) => [...p, c]));
  }
  return points;
}

/** A point's level: the sum of its coordinates. */
const sumOf = (p: readonly number[]) => p.reduce((n, c) => n + c, 0);

/** 7 axes of 0..4: 78 125 states in 29 levels, the widest 8 135 states. */
const WIDE = { dims: 7, size: 4 };

describe('the search split by claims is the search in one thread', () => {
  it.each([2, 3])(
    '%i partitions: the same states, each with its ghost; the same transitions',
    async (count) => {
      const job: Job = { lattice: WIDE, splitStates: 64 };
      const one = oneThread(job);
      const split = await splitSearch(job, count);
      expect(one.outcome.kind).toBe('ok');
      expect(one.outcome.stats.states).toBe(78_125);
      expect(split.outcomes.map((o) => o.end)).toEqual(new Array(count).fill({ kind: 'ok' }));
      expect(sum(split.outcomes, (o) => o.stats.states)).toBe(78_125);
      expect(sum(split.outcomes, (o) => o.stats.transitions)).toBe(one.outcome.stats.transitions);
      // each partition stored a share (the shares drift apart: a state goes to the partition
      // whose claim one thread's order puts first); the ghosts are those of one thread's paths
      for (const o of split.outcomes) expect(o.stats.states).toBeGreaterThan(78_125 / 10);
      expect(split.expanded).toEqual(one.expanded);
      expect(Math.max(...split.outcomes.map((o) => o.stats.maxDepth))).toBe(28);
    },
  );

  it('a claim table that fills within a round grows and the claims it refused are made again', async () => {
    // split at the level of 4 417 states, whose 10 633 states so far do not fit the first table
    const job: Job = { lattice: WIDE, splitStates: 1_500 };
    const split = await splitSearch(job, 2, ClaimTable.create(0));
    expect(split.refills).toBeGreaterThan(0);
    expect(sum(split.outcomes, (o) => o.stats.states)).toBe(78_125);
    expect(split.expanded).toEqual(oneThread(job).expanded);
  });

  it.each([
    // the level dealt out: the first of 2 x splitStates states or more (levels of 1, 7, 28, 84,
    // 210, ... states)
    [16, 'past the split', 3],
    [1_500, 'in the levels searched alike', 9],
  ])(
    'visited sets that may not grow: the memory bound, split at %i states a partition (%s)',
    async (splitStates, where, splitLevel) => {
      // 2 partitions of 256 KiB: each visited set's first tables, then a growth refused
      const job: Job = { lattice: WIDE, splitStates, maxStoreBytes: 512 * 1024 };
      const split = await splitSearch(job, 2);
      const depth = split.outcomes[0]?.depth ?? -1;
      if (where === 'past the split') expect(depth).toBeGreaterThanOrEqual(splitLevel);
      else expect(depth).toBeLessThan(splitLevel);
      const ends = split.outcomes.map((o) => o.end);
      expect(ends[0]).toMatchObject({
        kind: 'limit',
        bound: 'memory',
        memory: { measure: 'store', limitBytes: 256 * 1024, projected: true },
      });
      const stop = ends[0]?.kind === 'limit' && 'memory' in ends[0] ? ends[0].memory : undefined;
      expect(stop?.usedBytes).toBeGreaterThan(256 * 1024);
      expect(ends[1]).toEqual(ends[0]);
      const states = sum(split.outcomes, (o) => o.stats.states);
      expect(states).toBeGreaterThan(0);
      expect(states).toBeLessThan(78_125);
    },
  );

  it('the time bound, spent before the first checkpoint: every partition stops there', async () => {
    const job: Job = { lattice: WIDE, splitStates: 64, timeBudgetMs: 0 };
    const split = await splitSearch(job, 2);
    for (const o of split.outcomes) {
      expect(o.end).toMatchObject({ kind: 'limit', bound: 'time', depth: 0 });
    }
    expect(sum(split.outcomes, (o) => o.stats.states)).toBe(1); // the first state, partition 0's
  });

  it('the time bound past the split, met by a slow partition: every one ends there', async () => {
    // Partition 1 sleeps 2 ms a state after its first 64: the budget runs out levels after the
    // split (level 4, 210 states), with room for a worker that starts a second late.
    const job: Job = {
      lattice: WIDE,
      splitStates: 64,
      timeBudgetMs: 3_000,
      slow: { index: 1, ms: 2 },
    };
    const split = await splitSearch(job, 2);
    const [a, b] = split.outcomes.map((o) => o.end);
    expect(a).toMatchObject({ kind: 'limit', bound: 'time' });
    expect(b).toEqual(a);
    for (const o of split.outcomes) expect(o.depth).toBeGreaterThanOrEqual(4);
    expect(sum(split.outcomes, (o) => o.stats.states)).toBeLessThan(78_125);
  });

  it("the time bound met by one partition in the levels searched alike: the furthest one's figures", async () => {
    // Partition 1 sleeps 2 ms a state from the start and meets its time bound inside a level
    // (partition 0 has none); partition 0 searches that level whole before the round ends. Each
    // holds a prefix of one thread's search, so the search reports the longer one: every state
    // to the level below, and every transition out of that level and the ones above (not the
    // sum of the two partitions' shares).
    const job: Job = {
      lattice: WIDE,
      splitStates: 100_000,
      timeBudgetMs: 400,
      timedIndex: 1,
      slow: { index: 1, ms: 2, after: 0 },
    };
    const split = await splitSearch(job, 2);
    const [a, b] = split.outcomes.map((o) => o.end);
    expect(a).toMatchObject({ kind: 'limit', bound: 'time' });
    expect(b).toEqual(a);
    const depth = a?.kind === 'limit' && 'depth' in a ? a.depth : -1;
    expect(depth).toBeGreaterThan(0);
    const merged = mergeOutcomes(split.outcomes, 1);
    const within = (d: number) => latticePoints(WIDE).filter((p) => sumOf(p) <= d);
    expect(merged.stats.states).toBe(within(depth + 1).length);
    expect(merged.stats.transitions).toBe(
      within(depth).reduce((n, p) => n + p.filter((c) => c > 0).length, 0) +
        within(depth).reduce((n, p) => n + p.filter((c) => c < WIDE.size).length, 0),
    );
  });

  it('the states bound where the visited set would next grow, with no room to: the states bound', async () => {
    // A partition's visited set starts with room for 512 states (14 336 bytes, each partition's
    // share of the bound). One thread stops at the 513th state before making room for it; so
    // must the partitions, searching alike, or they meet the memory bound first.
    const job: Job = { lattice: WIDE, splitStates: 100_000, maxStates: 512 };
    const one = oneThread(job);
    const split = await splitSearch({ ...job, maxStoreBytes: 2 * 14_336 }, 2);
    expect(one.outcome).toMatchObject({ kind: 'limit', bound: 'states' });
    for (const o of split.outcomes) expect(o.end).toMatchObject({ kind: 'limit', bound: 'states' });
    expect(mergeOutcomes(split.outcomes, 1).stats.states).toBe(one.outcome.stats.states);
  });

  it('a cut at the depth bound: the states to that depth, and the bound', async () => {
    const job: Job = { lattice: WIDE, splitStates: 64, maxDepth: 9 };
    const one = oneThread(job);
    const split = await splitSearch(job, 2);
    expect(one.outcome).toMatchObject({ kind: 'limit', bound: 'depth', depth: 9 });
    for (const o of split.outcomes) {
      expect(o.end).toEqual({ kind: 'limit', bound: 'depth' });
      expect(o.depth).toBe(9);
    }
    expect(sum(split.outcomes, (o) => o.stats.states)).toBe(one.outcome.stats.states);
    // One thread stops expanding the last level at its first new successor; the split expands
    // it whole. Above it (a point's depth is its coordinates' sum), the same states and ghosts.
    const depthOf = (e: string) =>
      (e.split('@')[0] ?? '').split(',').reduce((n, c) => n + Number(c), 0);
    const above = (states: Set<string>) => new Set([...states].filter((e) => depthOf(e) < 9));
    expect(above(split.expanded)).toEqual(above(one.expanded));
    expect(above(one.expanded).size).toBeGreaterThan(5_000);
  });

  it.each([
    [28, 'ok'],
    [27, 'limit'],
  ])('a depth bound of %i (the lattice is 28 deep): %s, as one thread', async (maxDepth, kind) => {
    const job: Job = { lattice: WIDE, splitStates: 64, maxDepth };
    const one = oneThread(job);
    const split = await splitSearch(job, 2);
    expect(one.outcome.kind).toBe(kind);
    for (const o of split.outcomes) expect(o.end.kind).toBe(kind);
    expect(sum(split.outcomes, (o) => o.stats.states)).toBe(one.outcome.stats.states);
  });

  it.each([
    // within the levels every partition searches alike; past the split, inside a level
    [100, 2],
    [5_000, 2],
    [40_000, 3],
  ])(
    "the states bound %i on %i partitions: one thread's count of states and its depth",
    async (maxStates, count) => {
      const job: Job = { lattice: WIDE, splitStates: 64, maxStates };
      const one = oneThread(job);
      const split = await splitSearch(job, count);
      expect(one.outcome).toMatchObject({ kind: 'limit', bound: 'states' });
      const depth = one.outcome.kind === 'limit' ? one.outcome.depth : -1;
      for (const o of split.outcomes) {
        expect(o.end).toMatchObject({ kind: 'limit', bound: 'states' });
        expect(o.depth).toBe(depth);
      }
      expect(sum(split.outcomes, (o) => o.stats.states)).toBe(maxStates);
    },
  );

  it.each([
    // a violation in the levels searched alike, and past the split; each depends on the ghost
    // (a shortest path only adds: one thread stores every point by an even move)
    [{ sum: 3, ghost: 4 }],
    [{ sum: 14, ghost: 6 }],
    [{ sum: 20, ghost: 12 }],
  ])("a violation %j: at one thread's depth", async (failing) => {
    const job: Job = { lattice: WIDE, splitStates: 64, failing };
    const one = oneThread(job);
    expect(one.outcome.kind).toBe('violation');
    const depth = one.outcome.kind === 'violation' ? one.outcome.path.length : -1;
    const split = await splitSearch(job, 2);
    for (const o of split.outcomes) {
      expect(o.end).toMatchObject({
        kind: 'violation',
        depth,
        violated: { name: 'not-reached-by' },
      });
    }
  });

  it.each([0, 1])(
    "a violation just inside the states bound, partition %i slowed: one thread's violation",
    async (slowed) => {
      // a point of level 8, a tenth into it in one thread's order, reached by its path
      const order: string[] = [];
      explore(
        latticeModel({ ...WIDE, decoded: (s) => order.push(`${s.at.join(',')}@${s.ghost}`) }),
        {
          maxDepth: 9,
        },
      );
      const level = order.filter(
        (e) => (e.split('@')[0] ?? '').split(',').reduce((n, c) => n + Number(c), 0) === 8,
      );
      const [at = '', ghost = ''] = (level[Math.floor(level.length / 10)] ?? '').split('@');
      const target = { at, ghost: Number(ghost) };
      const found = oneThread({ lattice: WIDE, splitStates: 64, target }).outcome;
      expect(found.kind).toBe('violation');
      // one thread stores 5 states past the violating one before its bound
      const job: Job = {
        lattice: WIDE,
        splitStates: 64,
        target,
        maxStates: found.stats.states + 5,
      };
      const one = oneThread(job).outcome;
      expect(one.kind).toBe('violation');
      const split = await splitSearch({ ...job, slow: { index: slowed, ms: 1 } }, 2);
      for (const o of split.outcomes) {
        expect(o.end).toMatchObject({ kind: 'violation', depth: 8, violated: { name: 'not-at' } });
      }
    },
  );
});
