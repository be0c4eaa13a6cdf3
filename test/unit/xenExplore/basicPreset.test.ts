// The `basic` preset: the full alphabet without swap_grant_ref and the PV PTE surface
// (GNTMAP_contains_pte maps, unmap_and_replace), the alphabet before issue 11 widened it, and
// its whole search at D2 R1 P1 M1: the 291 056 states issue 13 counted.
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import { GNTMAP_contains_pte } from '../../../src/xen/abi.ts';
import type { XenState } from '../../../src/xenExplore/index.ts';
import { XEN_PRESETS, xenModel, xenPresetModel } from '../../../src/xenExplore/index.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';

const basic = XEN_PRESETS.basic;
const basicModel = () => xenPresetModel('basic', { invariants: INVARIANTS });

/** Is `a` part of the surface the preset leaves out? */
function swapOrPte(a: Op): boolean {
  if (a.kind === 'swap_grant_ref' || a.kind === 'unmap_and_replace') return true;
  return a.kind === 'map_grant_ref' && a.batch.some((e) => (e.flags & GNTMAP_contains_pte) !== 0);
}

describe('the basic preset', () => {
  it('offers every action of the full alphabet but swaps and the PTE surface, in every state', () => {
    const full = xenModel(basic.bounds, { invariants: INVARIANTS });
    const cut = basicModel();
    // the states of a shallow full-alphabet search, PTE mappings among them
    const states: XenState[] = [];
    explore(full, {
      symmetry: true,
      maxDepth: 3,
      onTransition: (_p, _a, child) => {
        if (states.length < 3000) states.push(child);
        return null;
      },
    });
    let left = 0;
    for (const s of states) {
      const all = [...full.actions(s)];
      const kept = [...cut.actions(s)];
      expect(kept).toEqual(all.filter((a) => !swapOrPte(a)));
      left += all.length - kept.length;
    }
    expect(states.length).toBe(3000);
    expect(left).toBeGreaterThan(0);
  });

  it('the full alphabet as issue 13 counted it: D2 R1 P1 M1 whole, 291 056 states keyed exactly', () => {
    const o = explore(basicModel(), { symmetry: true });
    expect(o.kind).toBe('ok');
    expect(o.stats).toMatchObject({ states: 291_056, transitions: 23_858_320, maxDepth: 23 });
  }, 300_000);
});
