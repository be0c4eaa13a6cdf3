// The text form of core actions: format and parse are inverses.

import { describe, expect, it } from 'vitest';
import type { CoreAction } from '../../../src/core/action.ts';
import { formatCoreAction, parseCoreAction } from '../../../src/core/action.ts';
import { coreModel } from '../../../src/core/model.ts';

describe('core action text', () => {
  it('prints the issue text form', () => {
    const a: CoreAction = { kind: 'map', grantee: 1, granter: 0, ref: 1, write: true };
    expect(formatCoreAction(a)).toBe('map(g1, x0, ref1, write)');
    expect(formatCoreAction({ kind: 'transfer', grantee: 1, frame: 2, granter: 0, ref: 1 })).toBe(
      'transfer(g1, f2, x0, ref1)',
    );
  });

  it('parses back every action the model offers along a run', () => {
    const m = coreModel({ domains: 3, refs: 2, frames: 3, maxPin: 1 });
    const seen = new Set<string>();
    let frontier = [m.initial()];
    for (let depth = 0; depth < 3; depth++) {
      const next: number[] = [];
      for (const s of frontier) {
        for (const a of m.actions(s)) {
          const text = formatCoreAction(a);
          seen.add(a.kind);
          expect(parseCoreAction(text)).toEqual(a);
          next.push(m.step(s, a)!);
        }
      }
      frontier = next.slice(0, 200);
    }
    expect(seen.size).toBe(7);
  });

  it.each([
    'map(g1, x0, ref1)',
    'map(g1, x0, ref1, rw)',
    'grant_access(d0, ref0, g1, f0, write)',
    'end_access(d0, r0)',
    'end_access(d0, ref01)',
    'frobnicate(d0, ref0)',
    'end_access d0 ref0',
    'constructor(d0)',
  ])('rejects %s', (text) => {
    expect(parseCoreAction(text)).toBeUndefined();
  });
});
