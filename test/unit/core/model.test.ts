// The core protocol model, checked against an independent naive BFS (./naive.ts): exact state
// counts, the same reachable states, orbit counts under symmetry, and the planted bug's
// shortest counterexample.

import { describe, expect, it } from 'vitest';
import type { CoreAction } from '../../../src/core/action.ts';
import type { CoreConfig } from '../../../src/core/config.ts';
import { coreModel } from '../../../src/core/model.ts';
import type { CoreState } from '../../../src/core/state.ts';
import { explore } from '../../../src/explore/bfs.ts';
import type { NaiveConfig } from './naive.ts';
import { naiveOrbitCount, naiveReachable } from './naive.ts';

const TINY: CoreConfig = { domains: 2, refs: 2, frames: 2, maxPin: 1 };
const BROKEN = { variant: 'end-access-ignores-mappings' } as const;

/** Every reachable packed state, by plain BFS over the model's own functions. */
function reachable(c: CoreConfig): number[] {
  const m = coreModel(c);
  const seen = new Set([m.initial()]);
  const queue = [m.initial()];
  for (let i = 0; i < queue.length; i++) {
    for (const a of m.actions(queue[i]!)) {
      const t = m.step(queue[i]!, a);
      if (t !== null && !seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
    }
  }
  return queue;
}

/** A decoded state in the naive program's JSON shape. */
function naiveJson(s: CoreState): string {
  return JSON.stringify({
    entries: s.entries.map((row) =>
      row.map((e) =>
        e.kind === 'access'
          ? {
              kind: e.kind,
              grantee: e.grantee,
              frame: e.frame,
              ro: e.readonly,
              rc: e.readMappings,
              wc: e.writeMappings,
            }
          : e,
      ),
    ),
    owner: s.owner,
  });
}

/** Every action the bounds allow, enabled or not. */
function allActions(c: CoreConfig): CoreAction[] {
  const out: CoreAction[] = [];
  const { domains: D, refs: R, frames: F } = c;
  for (let d = 0; d < D; d++) {
    for (let ref = 0; ref < R; ref++) {
      out.push({ kind: 'end_access', dom: d, ref }, { kind: 'end_transfer', dom: d, ref });
      for (let g = 0; g < D; g++) {
        out.push({ kind: 'grant_transfer', dom: d, ref, grantee: g });
        for (const write of [false, true]) {
          out.push({ kind: 'map', grantee: g, granter: d, ref, write });
          out.push({ kind: 'unmap', grantee: g, granter: d, ref, write });
        }
        for (let frame = 0; frame < F; frame++) {
          out.push({ kind: 'transfer', grantee: g, frame, granter: d, ref });
          for (const readonly of [false, true]) {
            out.push({ kind: 'grant_access', dom: d, ref, grantee: g, frame, readonly });
          }
        }
      }
    }
  }
  return out;
}

describe('core model: reachable states', () => {
  it('D=2,R=2,F=2,MAXPIN=1 has exactly 43,730 reachable states, by both programs', () => {
    const o = explore(coreModel(TINY));
    expect(o.kind).toBe('ok');
    expect(o.stats.states).toBe(43_730);
    expect(naiveReachable(TINY).size).toBe(43_730);
  });

  // Pinned counts, measured with the explorer and the naive BFS alike.
  it.each([
    [{ domains: 2, refs: 1, frames: 2, maxPin: 1 }, 410],
    [{ domains: 2, refs: 2, frames: 1, maxPin: 1 }, 3_200],
    [{ domains: 3, refs: 1, frames: 2, maxPin: 1 }, 14_868],
    [{ domains: 2, refs: 1, frames: 3, maxPin: 1 }, 1_572],
    // One domain: no access grants, only transfers to itself (4 entry values per ref).
    [{ domains: 1, refs: 2, frames: 2, maxPin: 1 }, 16],
  ])('%j has %i reachable states, by both programs', (c: NaiveConfig, count) => {
    expect(explore(coreModel(c)).stats.states).toBe(count);
    expect(naiveReachable(c).size).toBe(count);
  });

  it('D=2,R=2,F=3,MAXPIN=2 has 1,876,584 reachable states (explorer only: naive is too slow)', () => {
    const o = explore(coreModel({ domains: 2, refs: 2, frames: 3, maxPin: 2 }));
    expect(o).toMatchObject({ kind: 'ok', stats: { states: 1_876_584, maxDepth: 29 } });
  });

  it('reaches the same states as the naive BFS, not just as many', () => {
    const c = { domains: 2, refs: 1, frames: 3, maxPin: 1 };
    const m = coreModel(c);
    const mine = new Set(reachable(c).map((s) => naiveJson(m.decode(s))));
    expect(mine).toEqual(new Set(naiveReachable(c).keys()));
  });

  it('offers exactly the enabled actions, and decode/encode round-trip', () => {
    const m = coreModel(TINY);
    const every = allActions(TINY);
    for (const s of reachable(TINY)) {
      const enabled = every.filter((a) => m.step(s, a) !== null);
      expect([...m.actions(s)].sort(byText(m.formatAction!))).toEqual(
        enabled.sort(byText(m.formatAction!)),
      );
      expect(m.encode(m.decode(s))).toBe(s);
    }
  });

  it('refuses actions naming ids outside the bounds', () => {
    const m = coreModel(TINY);
    const s = m.initial();
    expect(
      m.step(s, { kind: 'grant_access', dom: 0, ref: 2, grantee: 1, frame: 0, readonly: false }),
    ).toBeNull();
    expect(m.step(s, { kind: 'grant_transfer', dom: 2, ref: 0, grantee: 0 })).toBeNull();
    expect(m.step(s, { kind: 'grant_transfer', dom: 0, ref: 0, grantee: -1 })).toBeNull();
  });
});

function byText(format: (a: CoreAction) => string) {
  return (a: CoreAction, b: CoreAction): number => format(a).localeCompare(format(b));
}

describe('core model: symmetry', () => {
  // Each explored count equals the number of orbits of the naive reachable set.
  it.each([
    [TINY, 'domains', 21_865],
    [TINY, 'domains+frames', 11_033],
    [TINY, 'domains+frames+refs', 3_403],
    [{ domains: 3, refs: 1, frames: 2, maxPin: 1 }, 'domains', 2_490],
    [{ domains: 3, refs: 1, frames: 2, maxPin: 1 }, 'domains+frames', 1_281],
    [{ domains: 2, refs: 1, frames: 3, maxPin: 1 }, 'domains+frames', 174],
  ] as const)('%j under %s: %i orbits, by both programs', (c, group, orbits) => {
    const o = explore(coreModel(c, { symmetry: group }), { symmetry: true });
    expect(o).toMatchObject({ kind: 'ok', stats: { states: orbits, symmetry: true } });
    expect(naiveOrbitCount(c, naiveReachable(c).values(), group)).toBe(orbits);
  });

  it('halves D=2,R=2,F=3,MAXPIN=2 under domain renaming', () => {
    const o = explore(coreModel({ domains: 2, refs: 2, frames: 3, maxPin: 2 }), {
      symmetry: true,
    });
    expect(o.stats.states).toBe(938_292);
  });

  it('maps a state to a member of its own orbit, the same for every member', () => {
    const m = coreModel(TINY, { symmetry: 'domains+frames+refs' });
    const states = reachable({ domains: 2, refs: 1, frames: 2, maxPin: 1 });
    const mm = coreModel({ domains: 2, refs: 1, frames: 2, maxPin: 1 }, { symmetry: 'domains' });
    for (const s of states) {
      const c = mm.symmetry(s);
      expect(c).toBeLessThanOrEqual(s);
      expect(mm.symmetry(c)).toBe(c);
    }
    expect(m.symmetry(m.initial())).toBeLessThanOrEqual(m.initial());
  });
});

describe('core model: the broken variant', () => {
  it.each([false, true])(
    'end_access ignoring mappings is caught in 3 steps (symmetry %s)',
    (symmetry) => {
      const m = coreModel(TINY, BROKEN);
      const o = explore(m, { symmetry });
      if (o.kind !== 'violation') throw new Error(`expected a violation, got ${o.kind}`);
      expect(o.violated).toMatchObject({ source: 'invariant', name: 'free-entry-unmapped' });
      // Under symmetry the path found may be the mirror image (d1 granting to d0).
      const expected = [
        'grant_access(d0, ref0, g1, f0, rw)',
        'map(g1, x0, ref0, read)',
        'end_access(d0, ref0)',
      ];
      const mirror = [
        'grant_access(d1, ref0, g0, f1, rw)',
        'map(g0, x1, ref0, read)',
        'end_access(d1, ref0)',
      ];
      expect(o.path.map(m.formatAction!)).toEqual(symmetry ? mirror : expected);
      // The path replays from the initial state to a state breaking the invariant.
      let s = m.initial();
      for (const [i, a] of o.path.entries()) {
        expect(o.states[i]).toBe(s);
        s = m.step(s, a)!;
        expect(s).not.toBeNull();
      }
      expect(o.states.at(-1)).toBe(s);
      const inv = m.invariants.find((v) => v.name === o.violated.name)!;
      expect(inv.holds(s)).toBe(false);
      const d = symmetry ? 1 : 0;
      expect(m.decode(s).entries[d]![0]).toEqual({ kind: 'free', stale: { read: 1, write: 0 } });
    },
  );

  it('the correct model satisfies every invariant in every reachable state', () => {
    const m = coreModel(TINY);
    for (const s of reachable(TINY)) {
      for (const inv of m.invariants) expect(inv.holds(s)).toBe(true);
    }
  });
});
