// The flow ghost's dense ids (src/xenExplore/flowIds.ts): equal ghosts get one id whatever the
// object, different ghosts different ids, and an id gives back its first ghost, which is then
// known by identity.
import { describe, expect, it } from 'vitest';
import type { FlowGhost } from '../../../src/model/flow.ts';
import { FlowIds, flowKey } from '../../../src/xenExplore/flowIds.ts';

/** A ghost with one labelled frame and one permit word, as new objects on every call. */
function ghost(mfn: number, label: number, permit: number): FlowGhost {
  return { labels: new Map([[mfn, [label]]]), permits: new Map([[mfn, permit]]) };
}

describe('FlowIds', () => {
  it('numbers ghosts by their text, not by the object', () => {
    const ids = new FlowIds();
    expect(ids.id(undefined)).toBe(0);
    const a = ids.id(ghost(3, 1, 5));
    const b = ids.id(ghost(3, 2, 5));
    expect([a, b]).toEqual([1, 2]);
    // equal ghosts, new objects, asked in another order than they were numbered
    expect(ids.id(ghost(3, 1, 5))).toBe(a);
    expect(ids.id(ghost(3, 2, 5))).toBe(b);
    expect(ids.id(ghost(4, 1, 5))).toBe(3);
  });

  it('gives back the first ghost of an id, and knows it again by identity', () => {
    const ids = new FlowIds();
    const made = Array.from({ length: 40 }, (_, i) => ghost(i % 7, i % 5, i % 3));
    const numbered = made.map((g) => ids.id(g));
    for (let i = 0; i < made.length; i++) {
      const first = ids.flow(numbered[i] ?? 0);
      expect(first && flowKey(first)).toBe(flowKey(made[i] as FlowGhost));
    }
    // every id's first ghost, asked in reverse (so never the last one asked), is its own id
    const distinct = [...new Set(numbered)].sort((x, y) => y - x);
    for (const id of distinct) expect(ids.id(ids.flow(id))).toBe(id);
    expect(ids.flow(0)).toBeUndefined();
  });
});
