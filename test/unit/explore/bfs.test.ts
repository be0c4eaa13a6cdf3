// The breadth-first explorer on a toy grid (./grid.ts) and on the core model: exact counts in
// every store layout, shortest counterexamples that replay, each bound as a limit outcome,
// progress, the per-transition hook, and symmetry.

import { describe, expect, it } from 'vitest';
import { coreModel } from '../../../src/core/model.ts';
import { explore } from '../../../src/explore/bfs.ts';
import type { ExploreProgress } from '../../../src/explore/options.ts';
import { resolveOptions } from '../../../src/explore/options.ts';
import type { ExploreOutcome } from '../../../src/explore/outcome.ts';
import { describeMemoryStop, describeOutcome } from '../../../src/explore/outcome.ts';
import type { Move, Point } from './grid.ts';
import { gridModel, sumBelow } from './grid.ts';

const LAYOUTS = ['packed', 'numeric', 'string'] as const;

function expectReplays(o: ExploreOutcome<Point, Move>, n: number): void {
  if (o.kind !== 'violation') throw new Error(`expected a violation, got ${o.kind}`);
  const m = gridModel(n);
  let s = m.initial();
  expect(o.states[0]).toEqual(s);
  for (const [i, a] of o.path.entries()) {
    s = m.step(s, a)!;
    expect(o.states[i + 1]).toEqual(s);
  }
}

describe('explore: complete runs', () => {
  it.each(LAYOUTS)('finds every state of a 5x5 grid (%s keys)', (keys) => {
    const o = explore(gridModel(4, { keys }));
    expect(o).toMatchObject({
      kind: 'ok',
      stats: { states: 25, transitions: 80, maxDepth: 8, symmetry: false },
    });
  });

  it('reports rates and bytes per state', () => {
    const o = explore(gridModel(999));
    expect(o.stats.states).toBe(1_000_000);
    expect(o.stats.bytesPerState).toBeGreaterThan(12);
    expect(o.stats.bytesPerState).toBeLessThan(100);
    expect(o.stats.storeBytes).toBe(o.stats.bytesPerState * o.stats.states);
    expect(o.stats.peakHeapBytes).toBeGreaterThan(o.stats.storeBytes);
    expect(o.stats.statesPerSec).toBeGreaterThan(0);
  });
});

describe('explore: violations', () => {
  it.each(LAYOUTS)('reports a shortest counterexample that replays (%s keys)', (keys) => {
    const o = explore(gridModel(4, { keys, invariants: [sumBelow(5)] }));
    expect(o).toMatchObject({ kind: 'violation', violated: { source: 'invariant' } });
    if (o.kind !== 'violation') return;
    expect(o.path).toHaveLength(5);
    expect(o.violated).toEqual({ source: 'invariant', name: 'sum-below', statement: 'x + y < 5' });
    expectReplays(o, 4);
    // Breadth-first: nothing at depth 5 was stored before the violation was seen.
    expect(o.stats.maxDepth).toBe(5);
  });

  it('checks the initial state too', () => {
    const o = explore(gridModel(4, { invariants: [sumBelow(0)] }));
    expect(o).toMatchObject({ kind: 'violation', path: [], states: [{ x: 0, y: 0 }] });
  });

  it.each(LAYOUTS)('reports a failed transition check with its path (%s keys)', (keys) => {
    const o = explore(gridModel(4, { keys }), {
      onTransition: (parent, action) =>
        parent.y === 2 && action === 'incY'
          ? { name: 'no-climbing-past-2', statement: 'y never goes from 2 to 3' }
          : null,
    });
    if (o.kind !== 'violation') throw new Error(`expected a violation, got ${o.kind}`);
    expect(o.violated.source).toBe('transition');
    expect(o.path).toEqual(['incY', 'incY', 'incY']);
    expect(o.states.at(-1)).toEqual({ x: 0, y: 3 });
    expectReplays(o, 4);
  });

  it('hands the hook every transition, known target or not', () => {
    let calls = 0;
    const o = explore(gridModel(4), {
      onTransition: () => {
        calls++;
        return null;
      },
    });
    expect(calls).toBe(o.stats.transitions);
  });

  it("tells the hook when it replays a failed check: the search's own calls are its transitions", () => {
    // Under the mirror, (0,0)'s incX and incY reach one orbit: replaying the failure, the
    // explorer checks incX again (passes) before incY (fails). A hook that counted every call
    // counted the search's two transitions twice.
    const calls = { search: 0, replay: 0 };
    const o = explore(gridModel(4, { mirror: true }), {
      symmetry: true,
      onTransition: (_parent, action, _child, ctx) => {
        calls[ctx.replay ? 'replay' : 'search']++;
        return action === 'incY' ? { name: 'no-incY', statement: 'y never grows' } : null;
      },
    });
    expect(o).toMatchObject({ kind: 'violation', path: ['incY'], stats: { transitions: 2 } });
    expect(calls).toEqual({ search: 2, replay: 2 });
  });

  it.each([...LAYOUTS, 'mirror'] as const)(
    'tells the hook which children are stored already (%s keys)',
    (layout) => {
      // A visited set kept beside the search's: a parent's children are stored after its last
      // transition, so they join it when the next parent's first transition comes.
      const mirror = layout === 'mirror';
      const m = gridModel(5, mirror ? { mirror } : { keys: layout });
      const keyOf = (p: Point) => m.key(mirror && m.symmetry ? m.symmetry(p) : p);
      const stored = new Set([keyOf(m.initial())]);
      let parentIndex = 0;
      let pending: Point[] = [];
      const answers = { yes: 0, no: 0 };
      const o = explore(m, {
        symmetry: mirror,
        onTransition: (_parent, _action, child, ctx) => {
          if (ctx.parentIndex !== parentIndex) {
            for (const c of pending) stored.add(keyOf(c));
            pending = [];
            parentIndex = ctx.parentIndex;
          }
          pending.push(child);
          const answer = ctx.stored(child);
          expect(answer, `(${child.x},${child.y}) from parent ${ctx.parentIndex}`).toBe(
            stored.has(keyOf(child)),
          );
          answers[answer ? 'yes' : 'no']++;
          return null;
        },
      });
      expect(o.kind).toBe('ok');
      // both answers given, and a new state is answered "no" only until it is stored
      expect(answers.yes).toBeGreaterThan(0);
      expect(answers.no).toBeGreaterThanOrEqual(o.stats.states - 1);
    },
  );
});

describe('explore: bounds are outcomes', () => {
  it.each(LAYOUTS)('depth (%s keys)', (keys) => {
    const o = explore(gridModel(4, { keys }), { maxDepth: 3 });
    expect(o).toMatchObject({ kind: 'limit', bound: 'depth', depth: 3, stats: { states: 10 } });
    expect(describeOutcome(o)).toMatch(/^limit reached \(depth\) at depth 3 after 10 states/);
  });

  it('a depth bound at the diameter still completes', () => {
    expect(explore(gridModel(4), { maxDepth: 8 }).kind).toBe('ok');
    expect(explore(gridModel(4), { maxDepth: 7 })).toMatchObject({ kind: 'limit', depth: 7 });
  });

  it.each(LAYOUTS)('states (%s keys)', (keys) => {
    const o = explore(gridModel(4, { keys }), { maxStates: 10 });
    expect(o).toMatchObject({ kind: 'limit', bound: 'states', stats: { states: 10 } });
    expect(explore(gridModel(4, { keys }), { maxStates: 25 }).kind).toBe('ok');
  });

  it('time, on an injected clock', () => {
    let now = 0;
    const o = explore(gridModel(40), {
      timeBudgetMs: 100,
      checkEvery: 1,
      clock: () => (now += 1),
    });
    expect(o).toMatchObject({ kind: 'limit', bound: 'time' });
    expect(o.stats.states).toBeLessThan(41 * 41);
  });

  it('time, on the real clock, for a run too big to finish', () => {
    const o = explore(coreModel({ domains: 2, refs: 2, frames: 4, maxPin: 2 }), {
      timeBudgetMs: 200,
    });
    expect(o).toMatchObject({ kind: 'limit', bound: 'time' });
    expect(o.stats.elapsedMs).toBeLessThan(1000);
  });

  it('store bytes: the packed store stops before growing past the bound', () => {
    const o = explore(coreModel({ domains: 2, refs: 2, frames: 3, maxPin: 2 }), {
      maxStoreBytes: 1 << 20,
    });
    expect(o).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'store', limitBytes: 1 << 20, projected: true },
    });
    // the figure: what the growth refused would have needed, past the bound
    const stop = o.kind === 'limit' ? o.memory : undefined;
    expect(stop?.usedBytes).toBeGreaterThan(1 << 20);
    expect(o.stats.storeBytes).toBeLessThanOrEqual(1 << 20);
    expect(o.stats.states).toBeGreaterThan(10_000);
  });

  it('an allocation the system refuses, within every bound: a memory stop that says so', () => {
    // Typed arrays past 4 096 elements refused as a system out of memory refuses them: the
    // visited set's first growths fit, a later one fails within its (unbounded) limits.
    const Real = globalThis.Float64Array;
    class Refusing extends Real {
      constructor(...args: unknown[]) {
        if (typeof args[0] === 'number' && args[0] > 4096) {
          throw new RangeError('Array buffer allocation failed');
        }
        super(...(args as []));
      }
    }
    globalThis.Float64Array = Refusing as Float64ArrayConstructor;
    let o: ExploreOutcome<number, unknown>;
    try {
      o = explore(coreModel({ domains: 2, refs: 2, frames: 3, maxPin: 2 }));
    } finally {
      globalThis.Float64Array = Real;
    }
    expect(o).toMatchObject({
      kind: 'limit',
      bound: 'memory',
      memory: { measure: 'system', projected: true },
    });
    const stop = o.kind === 'limit' ? o.memory : undefined;
    expect(stop?.usedBytes).toBeLessThan(stop?.limitBytes ?? 0);
    expect(
      describeMemoryStop(stop ?? { measure: 'rss', usedBytes: 0, limitBytes: 0, projected: false }),
    ).toMatch(
      /^the system refused the [\d.]+ MiB the visited set needed to grow \(within the [\d.]+ MiB bound\)$/,
    );
  });

  it('store bytes: the string store too', () => {
    const o = explore(gridModel(200, { keys: 'string' }), { maxStoreBytes: 100_000 });
    expect(o).toMatchObject({ kind: 'limit', bound: 'memory', memory: { measure: 'store' } });
    expect(o.stats.storeBytes).toBeLessThanOrEqual(100_000);
  });

  it('rejects nonsensical bounds', () => {
    expect(() => resolveOptions({ maxStates: 0 })).toThrow(RangeError);
    expect(() => resolveOptions({ maxDepth: -1 })).toThrow(RangeError);
    expect(() => resolveOptions({ maxMemoryBytes: 0 })).toThrow(RangeError);
    expect(() => resolveOptions({ maxStoreBytes: 0 })).toThrow(RangeError);
    expect(() => resolveOptions({ checkEvery: 0 })).toThrow(RangeError);
    expect(() => resolveOptions({ checkEvery: 1.5 })).toThrow(RangeError);
  });
});

describe('explore: progress', () => {
  it('reports growing counts at the chosen interval', () => {
    let now = 0;
    const seen: ExploreProgress[] = [];
    explore(gridModel(30), {
      checkEvery: 16,
      progressIntervalMs: 10,
      clock: () => (now += 1),
      onProgress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThan(3);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.states).toBeGreaterThanOrEqual(seen[i - 1]!.states);
      expect(seen[i]!.elapsedMs).toBeGreaterThan(seen[i - 1]!.elapsedMs);
    }
    expect(seen[0]).toMatchObject({ depth: expect.any(Number), statesPerSec: expect.any(Number) });
  });
});

describe('explore: symmetry', () => {
  it.each(LAYOUTS)('counts orbits, not states (%s keys)', (keys) => {
    const o = explore(gridModel(4, { keys, mirror: true }), { symmetry: true });
    expect(o).toMatchObject({ kind: 'ok', stats: { states: 15, symmetry: true } });
    // The model's symmetry is used only when asked for.
    expect(explore(gridModel(4, { keys, mirror: true })).stats.states).toBe(25);
  });

  it('never loses a violation, nor makes it longer', () => {
    for (const limit of [1, 3, 5, 8]) {
      const plain = explore(gridModel(4, { invariants: [sumBelow(limit)] }));
      const reduced = explore(gridModel(4, { invariants: [sumBelow(limit)], mirror: true }), {
        symmetry: true,
      });
      expect(reduced.kind).toBe('violation');
      if (plain.kind !== 'violation' || reduced.kind !== 'violation') return;
      expect(reduced.path).toHaveLength(plain.path.length);
      expectReplays(reduced, 4);
    }
  });

  it('refuses symmetry for a model without one', () => {
    expect(() => explore(gridModel(4), { symmetry: true })).toThrow(/defines none/);
  });
});

describe('describeMemoryStop', () => {
  it('names the figure that stopped the search', () => {
    const MiB = 2 ** 20;
    const stop = (measure: 'rss' | 'heap' | 'store', projected = false) =>
      describeMemoryStop({ measure, usedBytes: 90 * MiB, limitBytes: 64 * MiB, projected });
    expect(stop('rss')).toBe('resident memory 90.0 MiB, past the 64.0 MiB bound');
    expect(stop('rss', true)).toBe(
      'resident memory would reach 90.0 MiB as the visited set grows, past the 64.0 MiB bound',
    );
    expect(stop('heap')).toBe(
      "V8 heap 90.0 MiB, near V8's own 64.0 MiB heap limit (node --max-old-space-size)",
    );
    expect(stop('store')).toBe('visited set 90.0 MiB, at its 64.0 MiB bound');
    expect(stop('store', true)).toBe(
      'visited set would need 90.0 MiB to grow, past its 64.0 MiB bound',
    );
  });
});

describe('describeOutcome', () => {
  it('gives one line per outcome', () => {
    expect(describeOutcome(explore(gridModel(2)))).toMatch(
      /^ok: 9 states, 24 transitions, depth 4, \d+ states\/s/,
    );
    const v = explore(gridModel(2, { invariants: [sumBelow(2)] }));
    expect(describeOutcome(v)).toMatch(/^violation of sum-below after 2 steps \[incX; incX\]/);
    const m = explore(gridModel(2), {
      maxMemoryBytes: 100 * 2 ** 20,
      memory: () => ({ rss: 150 * 2 ** 20, heapUsed: 0, arrayBuffers: 0 }),
    });
    expect(describeOutcome(m)).toMatch(
      /^limit reached \(memory\) at depth 0 after 0 states \(resident memory 150\.0 MiB, past the 100\.0 MiB bound\): .* peak RSS 150\.0 MiB/,
    );
  });
});
