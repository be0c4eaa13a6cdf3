// The time and memory bounds on searches that must hit them: the time bound stops within the
// budget plus 1 s in every mode, the memory bound stops near an RSS bound (within MEMORY_SLACK),
// V8's heap limit never aborts the process first, and a default bound exists. Bounds, not speed.

import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { coreModel } from '../../../src/core/model.ts';
import type { ExplorableModel } from '../../../src/explore/model.ts';
import { explore, v8HeapLimitBytes } from '../../../src/explore/bfs.ts';
import {
  DEFAULT_MEMORY_CAP,
  defaultMaxMemoryBytes,
  machineMemoryBytes,
  resolveOptions,
} from '../../../src/explore/options.ts';
import { exploreFault } from '../../../src/faults/explore.ts';
import { findFault } from '../../../src/faults/index.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import type { Move, Point } from './grid.ts';
import { gridModel } from './grid.ts';
import type { SearchName } from './searches.ts';
import { SEARCHES } from './searches.ts';

const MiB = 2 ** 20;
/** The time bound's promise: no run goes on for more than this past its budget. */
const TIME_SLACK_MS = 1000;
/** The memory bound's promise: RSS at the stop is at most this far past the bound. */
const MEMORY_SLACK = 16 * MiB;

/** Each of the CLI's modes, built before the clock starts; all are far too big to finish. */
const MODES = [
  ['core D2 R2 F4 M2', 'core'],
  ['xen full', 'xen'],
  ['xen full --conformance', 'conformance'],
  ['xen protocol P2 --refinement', 'refinement'],
] as const satisfies readonly (readonly [string, SearchName])[];

/**
 * CPU milliseconds of this process. Why not wall time? On a shared machine other processes
 * stretch wall time by seconds at random; the explorer runs on this clock here, so what is
 * measured is the search's own overshoot, which is what its checkpoints decide.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function onCpu<T>(f: () => T): { value: T; ms: number } {
  const t0 = cpuMs();
  const value = f();
  return { value, ms: cpuMs() - t0 };
}

function spin(ms: number): void {
  const until = cpuMs() + ms;
  while (cpuMs() < until);
}

/** The grid, with every step taking `slowMs` once `fastMs` have passed since the first step. */
function slowingGrid(fastMs: number, slowMs: number): ExplorableModel<Point, Move> {
  const grid = gridModel(3000);
  let start: number | undefined;
  return {
    ...grid,
    step: (s, a) => {
      const now = cpuMs();
      start ??= now;
      if (now - start >= fastMs) spin(slowMs);
      return grid.step(s, a);
    },
  };
}

describe('the time bound is checked by time, not by state count', () => {
  const BUDGET = 400;

  it.each(MODES)('%s: stops within the budget + 1 s', (_name, search) => {
    const run = SEARCHES[search]();
    const { value: o, ms } = onCpu(() => run({ timeBudgetMs: BUDGET, clock: cpuMs }));
    expect(o).toMatchObject({ kind: 'limit', bound: 'time' });
    expect(o.stats.states).toBeGreaterThan(1);
    expect(o.stats.elapsedMs).toBeGreaterThanOrEqual(BUDGET);
    expect(ms).toBeLessThan(BUDGET + TIME_SLACK_MS);
  });

  it("the faults command's explorer column passes its --explore-time on as the budget", () => {
    // Without its split unmaps, one-element batches cannot reach XSA-218 (docs/faults.md): the
    // search runs to its bound.
    const found = findFault('xsa-218-unmap-double-free');
    if (!found) throw new Error('fault xsa-218-unmap-double-free is gone');
    const fault = { ...found, search: { kinds: found.search.kinds } };
    const r = exploreFault(fault, {
      invariants: INVARIANTS,
      properties: STEP_PROPERTIES,
      timeBudgetMs: BUDGET,
    });
    expect(r).toMatchObject({ kind: 'none', complete: false });
    expect(r.elapsedMs).toBeGreaterThanOrEqual(BUDGET);
  });

  it('transitions of 20 ms each: the first check comes after one transition, not 1,024 states', () => {
    const { value: o, ms } = onCpu(() =>
      explore(slowingGrid(0, 20), { timeBudgetMs: 100, clock: cpuMs }),
    );
    expect(o).toMatchObject({ kind: 'limit', bound: 'time' });
    expect(ms).toBeLessThan(100 + TIME_SLACK_MS);
  });

  it('transitions that turn 3 ms slow mid-run: the stride grown on fast ones shrinks in time', () => {
    const { value: o, ms } = onCpu(() =>
      explore(slowingGrid(200, 3), { timeBudgetMs: 300, clock: cpuMs }),
    );
    expect(o).toMatchObject({ kind: 'limit', bound: 'time' });
    // Fast steps first: far more states than slow steps alone could have found.
    expect(o.stats.states).toBeGreaterThan(1000);
    expect(ms).toBeLessThan(300 + TIME_SLACK_MS);
  });
});

describe('the memory bound is on the resident memory of the whole process', () => {
  // Why child processes? Each search needs a fresh RSS: in this one, heap pages freed by earlier
  // tests are reused before RSS grows, and the kernel's peak (ru_maxrss) would be theirs.
  it.each(MODES.slice(0, 3))('%s: peak RSS within MEMORY_SLACK of RSS + 24 MiB', (name, search) => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'test/unit/explore/memoryChild.ts', search, '24'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    const m = JSON.parse(r.stdout) as {
      states: number;
      elapsedMs: number;
      startRss: number;
      boundBytes: number;
      peakSampledRss: number;
      rssAfter: number;
      maxRss: number;
    };
    expect(m).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'rss', limitBytes: m.boundBytes },
    });
    expect(m.maxRss).toBeLessThanOrEqual(m.boundBytes + MEMORY_SLACK);
    expect(m.rssAfter).toBeLessThanOrEqual(m.boundBytes + MEMORY_SLACK);
    const f = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
    console.log(
      `[memory bound] ${name}: start ${f(m.startRss)}, bound ${f(m.boundBytes)}, ` +
        `peak RSS ${f(m.maxRss)} (sampled ${f(m.peakSampledRss)}), ` +
        `${m.states} states in ${m.elapsedMs.toFixed(0)} ms`,
    );
  });

  it('a sampled RSS past the bound stops the search, and says by how much', () => {
    // A clock that moves 1 ms per checkpoint: with the real one, a pause between two samples
    // could let the visited set's next growth meet the bound first (a projected stop).
    let now = 0;
    let transitions = 0;
    const grid = gridModel(2000);
    const o = explore(
      { ...grid, step: (s, a) => (transitions++, grid.step(s, a)) },
      {
        maxMemoryBytes: 100 * MiB,
        checkEvery: 1,
        clock: () => now++,
        memory: () => ({ rss: 90 * MiB + transitions * 1024, heapUsed: 0, arrayBuffers: 0 }),
      },
    );
    expect(o).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'rss', limitBytes: 100 * MiB, projected: false },
    });
    if (o.kind !== 'limit' || !o.memory) return;
    expect(o.memory.usedBytes).toBeGreaterThan(100 * MiB);
    expect(transitions).toBeGreaterThanOrEqual(10 * 1024);
  });

  it('memory is sampled every 5 ms near the bound and every 100 ms far from it', () => {
    // A clock that moves 1 ms per checkpoint: samples per transition read the interval.
    const samples = (rss: number): number => {
      let now = 0;
      let reads = 0;
      let transitions = 0;
      const grid = gridModel(300);
      explore(
        { ...grid, step: (s, a) => (transitions++, grid.step(s, a)) },
        {
          maxMemoryBytes: 1024 * MiB,
          maxStates: 20_000,
          checkEvery: 1,
          clock: () => now++,
          memory: () => (reads++, { rss, heapUsed: 0, arrayBuffers: 0 }),
        },
      );
      return transitions / reads;
    };
    // 8 MiB of room: 2 ms by the growth rate, so the 5 ms floor
    expect(samples(1016 * MiB)).toBeGreaterThan(4);
    expect(samples(1016 * MiB)).toBeLessThan(7);
    // 1 000 MiB of room: 250 ms by the growth rate, so the 100 ms ceiling
    expect(samples(24 * MiB)).toBeGreaterThan(90);
    expect(samples(24 * MiB)).toBeLessThan(110);
  });

  it('the visited set does not grow when its growth would pass the bound', () => {
    // One memory sample (the clock stands still), at 50 MiB: it leaves the store 10 MiB to grow.
    const o = explore(coreModel({ domains: 2, refs: 2, frames: 3, maxPin: 2 }), {
      maxMemoryBytes: 60 * MiB,
      clock: () => 0,
      memory: () => ({ rss: 50 * MiB, heapUsed: 0, arrayBuffers: 0 }),
    });
    expect(o).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'rss', limitBytes: 60 * MiB, projected: true },
    });
    if (o.kind !== 'limit' || !o.memory) return;
    expect(o.memory.usedBytes).toBeGreaterThan(60 * MiB);
    expect(o.stats.storeBytes).toBeLessThanOrEqual(10 * MiB);
    expect(o.stats.storeBytes).toBeGreaterThan(2 * MiB);
  });

  it('a bound below the RSS before the search: stopped at once, nothing explored', () => {
    const o = explore(gridModel(10), { maxMemoryBytes: 1 });
    expect(o).toMatchObject({ kind: 'limit', bound: 'memory', depth: 0, stats: { states: 0 } });
  });

  it("V8's heap nearing its own limit stops the search first, even under a large RSS bound", () => {
    const o = explore(gridModel(100), {
      maxMemoryBytes: 2 ** 50,
      memory: () => ({ rss: 0, heapUsed: v8HeapLimitBytes() * 0.8, arrayBuffers: 0 }),
    });
    expect(o).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'heap', limitBytes: v8HeapLimitBytes() },
    });
  });

  it('with a 32 MiB V8 heap, a Xen-level search stops at the heap, exit 4, not a V8 abort', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=32',
        'bin/grantcheck.js',
        'explore',
        '--model',
        'xen',
        '--alphabet',
        'full',
        '--time-budget',
        '30',
        '--json',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({
      result: 'limit',
      bound: 'memory',
      memoryStop: { measure: 'heap', limitBytes: 32 * MiB },
    });
  });

  it('a default bound exists: a quarter of the machine, at most 8 GiB, of RSS', () => {
    const d = defaultMaxMemoryBytes();
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThanOrEqual(DEFAULT_MEMORY_CAP);
    expect(d).toBeLessThanOrEqual(machineMemoryBytes() / 4);
    expect(d).toBeLessThan(totalmem());
    expect(resolveOptions({}).maxMemoryBytes).toBe(d);
    // And a search with no options obeys it.
    const o = explore(gridModel(10), {
      memory: () => ({ rss: d + 1, heapUsed: 0, arrayBuffers: 0 }),
    });
    expect(o).toMatchObject({ kind: 'limit', bound: 'memory', memory: { limitBytes: d } });
  });
});
