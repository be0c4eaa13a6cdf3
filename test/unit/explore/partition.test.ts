// The search split by state (src/explore/partition.ts, explorePartition in src/explore/bfs.ts),
// one partition at a time in this thread: the other partitions are played by an oracle that
// knows every level of the whole search (a plain breadth-first search of the core model), and
// hands the partition the keys the others would find for it. Each partition must store exactly
// the states it owns and take exactly their transitions; together they are the whole search.
// How the rounds end (`decideEnd`) is checked on its own; the threads, through the built command
// in test/cli/workers.test.ts.

import { describe, expect, it } from 'vitest';
import type { CoreConfig } from '../../../src/core/config.ts';
import type { CoreVariant } from '../../../src/core/index.ts';
import { coreModel } from '../../../src/core/model.ts';
import { explore, explorePartition } from '../../../src/explore/bfs.ts';
import type {
  Partition,
  PartitionEnd,
  PartitionStatus,
  PartitionStop,
} from '../../../src/explore/partition.ts';
import { decideEnd, ownerOf } from '../../../src/explore/partition.ts';
import { xenModel } from '../../../src/xenExplore/index.ts';

const SMALL: CoreConfig = { domains: 2, refs: 1, frames: 2, maxPin: 1 };
const MEDIUM: CoreConfig = { domains: 2, refs: 2, frames: 2, maxPin: 1 };

/** Every level of the whole search, as the keys found at each depth (no symmetry). */
function levels(config: CoreConfig, variant: CoreVariant = 'correct'): number[][] {
  const m = coreModel(config, { variant });
  const seen = new Set<number>([m.initial()]);
  const out: number[][] = [[m.initial()]];
  for (let d = 0; (out[d] ?? []).length > 0; d++) {
    const next: number[] = [];
    for (const s of out[d] ?? []) {
      for (const a of m.actions(s)) {
        const t = m.step(s, a);
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        next.push(t);
      }
    }
    out.push(next);
  }
  return out.filter((l) => l.length > 0);
}

/** The successors of `states` that partition `to` of `count` owns. */
function successorsFor(config: CoreConfig, states: number[], to: number, count: number): number[] {
  const m = coreModel(config);
  const out: number[] = [];
  for (const s of states) {
    for (const a of m.actions(s)) {
      const t = m.step(s, a);
      if (t !== null && t !== s && ownerOf(t, count) === to) out.push(t);
    }
  }
  return out;
}

/** Partition `index` of `count`, the others played from `all` (every level of the search). Each
 * round, what the partition hands over must be its level's successors that the others own
 * (unless `stopping`: a partition stopped by a bound hands over what it found up to there). */
function oracle(
  config: CoreConfig,
  all: number[][],
  index: number,
  count: number,
  stopping = false,
): Partition {
  let round = 0;
  return {
    index,
    count,
    exchange(outboxes, status) {
      const level = all[round] ?? [];
      const mine = level.filter((s) => ownerOf(s, count) === index);
      for (let to = 0; to < count && !stopping; to++) {
        const expected = to === index ? [] : successorsFor(config, mine, to, count);
        expect(new Set(outboxes[to] ?? [])).toEqual(new Set(expected));
      }
      const theirs = level.filter((s) => ownerOf(s, count) !== index);
      const inbox = successorsFor(config, theirs, index, count);
      const others: PartitionStatus = { ...status, expanded: theirs.length, stop: null };
      round++;
      return { inbox: [Float64Array.from(inbox)], end: decideEnd([status, others]) };
    },
  };
}

describe('explorePartition: one partition of a split search', () => {
  it.each([
    [SMALL, 2],
    [SMALL, 3],
    [MEDIUM, 2],
  ])('%j in %i partitions: each stores what it owns, together the whole', (config, count) => {
    const all = levels(config);
    const whole = explore(coreModel(config));
    let states = 0;
    let transitions = 0;
    for (let p = 0; p < count; p++) {
      const o = explorePartition(coreModel(config), {}, oracle(config, all, p, count));
      expect(o.end).toEqual({ kind: 'ok' });
      const owned = all.flat().filter((s) => ownerOf(s, count) === p);
      expect(o.stats.states).toBe(owned.length);
      const depths = all.map((level, d) => (level.some((s) => ownerOf(s, count) === p) ? d : 0));
      const deepest = Math.max(...depths);
      expect(o.stats.maxDepth).toBe(deepest);
      expect(o.stats.states).toBeGreaterThan(0);
      expect(o.stats.states).toBeLessThan(whole.stats.states);
      states += o.stats.states;
      transitions += o.stats.transitions;
    }
    expect(states).toBe(whole.stats.states);
    expect(transitions).toBe(whole.stats.transitions);
  });

  it('one partition is the whole search', () => {
    const self: Partition = {
      index: 0,
      count: 1,
      exchange: (_, status) => ({ inbox: [], end: decideEnd([status]) }),
    };
    const o = explorePartition(coreModel(MEDIUM), {}, self);
    const whole = explore(coreModel(MEDIUM));
    expect(o.end).toEqual({ kind: 'ok' });
    expect(o.stats).toMatchObject({
      states: whole.stats.states,
      transitions: whole.stats.transitions,
      maxDepth: whole.stats.maxDepth,
    });
    // with symmetry too
    const sym = explorePartition(coreModel(MEDIUM), { symmetry: true }, { ...self });
    expect(sym.stats.states).toBe(explore(coreModel(MEDIUM), { symmetry: true }).stats.states);
  });

  it('a cut at the depth bound, a violation at its depth, the states and memory bounds', () => {
    const self = (): Partition => ({
      index: 0,
      count: 1,
      exchange: (_, status) => ({ inbox: [], end: decideEnd([status]) }),
    });
    const cut = explorePartition(coreModel(MEDIUM), { maxDepth: 4 }, self());
    expect(cut.end).toEqual({ kind: 'limit', bound: 'depth' });
    expect(cut.depth).toBe(4);
    expect(cut.stats.states).toBe(explore(coreModel(MEDIUM), { maxDepth: 4 }).stats.states);
    const complete = explorePartition(coreModel(SMALL), { maxDepth: 100 }, self());
    expect(complete.end).toEqual({ kind: 'ok' });

    const variant = 'end-access-ignores-mappings';
    const broken = explorePartition(coreModel(MEDIUM, { variant }), {}, self());
    const whole = explore(coreModel(MEDIUM, { variant }));
    if (whole.kind !== 'violation') throw new Error('the variant must break an invariant');
    expect(broken.end).toMatchObject({ kind: 'violation', depth: whole.path.length });

    const full = explorePartition(coreModel(MEDIUM), { maxStates: 50 }, self());
    const one = explore(coreModel(MEDIUM), { maxStates: 50 });
    expect(full.end).toMatchObject({ kind: 'limit', bound: 'states' });
    expect(full.stats.states).toBe(50);
    expect(one).toMatchObject({ kind: 'limit', bound: 'states', depth: full.depth });

    // A visited set that may not grow past its first table: the memory bound, with the figure.
    const cramped = explorePartition(coreModel(MEDIUM), { maxStoreBytes: 10_000 }, self());
    expect(cramped.end).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'store', limitBytes: 10_000 },
    });
    expect(cramped.stats.states).toBeGreaterThan(0);
    expect(cramped.stats.states).toBeLessThan(explore(coreModel(MEDIUM)).stats.states);
  });

  it("a partition's share of the memory bounds: the figures that stop it are past the bounds", () => {
    // Partition 0 of 2, the other played by the oracle.
    const all = levels(MEDIUM);
    const half = () => oracle(MEDIUM, all, 0, 2, true);
    // The visited sets' bound, shared out: one of two partitions may take half.
    const store = explorePartition(coreModel(MEDIUM), { maxStoreBytes: 20_000 }, half());
    expect(store.end).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'store', limitBytes: 10_000, projected: true },
    });
    const need = store.end.kind === 'limit' && 'memory' in store.end ? store.end.memory : undefined;
    expect(need?.usedBytes).toBeGreaterThan(10_000);
    // The room under the RSS bound, shared out: a growth refused is one that, every partition's
    // set growing alike, would take the process past the bound.
    const limitBytes = 2 ** 30;
    const rss = explorePartition(
      coreModel(MEDIUM),
      {
        maxMemoryBytes: limitBytes,
        memory: () => ({ rss: limitBytes - 40_000, heapUsed: 0, arrayBuffers: 0 }),
      },
      half(),
    );
    const stop = rss.end.kind === 'limit' && 'memory' in rss.end ? rss.end.memory : undefined;
    expect(stop).toMatchObject({ measure: 'rss', projected: true, limitBytes });
    expect(stop?.usedBytes).toBeGreaterThan(limitBytes);
  });

  it('memory the keys handed over take is sampled before they are stored', () => {
    // The clock stands still: memory is sampled at the start and when the partition asks. The
    // third round's keys take the process past the bound; the search must stop there, not run
    // on with the room its first sample left it.
    const limitBytes = 2 ** 30;
    let rss = limitBytes / 2;
    const others = oracle(MEDIUM, levels(MEDIUM), 0, 2, true);
    let rounds = 0;
    const o = explorePartition(
      coreModel(MEDIUM),
      {
        maxMemoryBytes: limitBytes,
        clock: () => 0,
        memory: () => ({ rss, heapUsed: 0, arrayBuffers: 0 }),
      },
      {
        ...others,
        exchange(outboxes, status) {
          if (++rounds === 3) rss = limitBytes + 1;
          return others.exchange(outboxes, status);
        },
      },
    );
    expect(o.end).toMatchObject({ kind: 'limit', bound: 'memory', memory: { measure: 'rss' } });
    expect(o.depth).toBeLessThanOrEqual(3);
  });

  it('refuses a model whose keys name states only in its own thread, and a transition hook', () => {
    const self: Partition = { index: 0, count: 1, exchange: () => ({ inbox: [], end: null }) };
    const xen = xenModel({ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' });
    expect(() => explorePartition(xen, {}, self)).toThrow(/every thread reads alike/);
    expect(() => explorePartition(coreModel(SMALL), { onTransition: () => null }, self)).toThrow(
      /no transition hook/,
    );
  });
});

describe('ownerOf', () => {
  it('gives every key one owner, the same every time, and shares keys out evenly', () => {
    for (const count of [2, 3, 8]) {
      const keys = Array.from({ length: 60_000 }, (_, k) => k * 7919 + 2 ** 40);
      const owners = keys.map((k) => ownerOf(k, count));
      expect(keys.map((k) => ownerOf(k, count))).toEqual(owners);
      const shares = new Array<number>(count).fill(0);
      for (const o of owners) shares[o] = (shares[o] ?? 0) + 1;
      for (const n of shares)
        expect(Math.abs(n - 60_000 / count)).toBeLessThan(60_000 / count / 10);
    }
    expect(ownerOf(2 ** 53 - 1, 5)).toBeLessThan(5);
  });
});

describe('decideEnd', () => {
  const status = (over: Partial<PartitionStatus> = {}): PartitionStatus => ({
    states: 10,
    transitions: 20,
    storeBytes: 100,
    heapBytes: 1000,
    maxDepth: 3,
    expanded: 5,
    probeNew: false,
    stop: null,
    ...over,
  });
  const violation = (depth: number, name: string): PartitionStop => ({
    kind: 'violation',
    violated: { source: 'invariant', name, statement: name },
    depth,
  });
  const cases: [string, PartitionStatus[], PartitionEnd | null][] = [
    ['a level still under way goes on', [status(), status({ expanded: 0 })], null],
    [
      'an empty level everywhere is the end',
      [status({ expanded: 0 }), status({ expanded: 0 })],
      { kind: 'ok' },
    ],
    [
      'an empty level after a probe met a new state is a cut',
      [status({ expanded: 0 }), status({ expanded: 0, probeNew: true })],
      { kind: 'limit', bound: 'depth' },
    ],
    [
      'the shallowest violation wins',
      [status({ stop: violation(5, 'b') }), status({ stop: violation(4, 'a') })],
      violation(4, 'a'),
    ],
    [
      'a violation wins over a limit',
      [
        status({ stop: { kind: 'limit', bound: 'time', depth: 2 } }),
        status({ stop: violation(7, 'a') }),
      ],
      violation(7, 'a'),
    ],
    [
      // a partition that met its bound storing the keys handed over says so a round late, at
      // the level before: every state to depth 2 was checked, not to depth 3
      'the shallowest limit',
      [
        status(),
        status({ stop: { kind: 'limit', bound: 'states', depth: 3 } }),
        status({ stop: { kind: 'limit', bound: 'time', depth: 2 } }),
      ],
      { kind: 'limit', bound: 'time', depth: 2 },
    ],
    [
      "at one depth, the lowest partition's limit",
      [
        status({ stop: { kind: 'limit', bound: 'states', depth: 3 } }),
        status({ stop: { kind: 'limit', bound: 'time', depth: 3 } }),
      ],
      { kind: 'limit', bound: 'states', depth: 3 },
    ],
  ];
  it.each(cases)('%s', (_, statuses, end) => {
    expect(decideEnd(statuses)).toEqual(end);
  });
});
