// The claim table a search split by claims shares (src/explore/claims.ts), from one thread: the
// best claim on a state wins whichever came first, a claim of an earlier level keeps the state,
// a full table refuses new states until it has grown, and growing keeps every claim. The
// threads racing on it are test/unit/explore/claimed.test.ts's.

import { describe, expect, it } from 'vitest';
import {
  CLAIM_EARLIER,
  CLAIM_FULL,
  claimLevel,
  claimPriority,
  ClaimTable,
} from '../../../src/explore/claims.ts';

describe('ClaimTable', () => {
  it('the best claim of a level wins, in whatever order the claims come', () => {
    const t = ClaimTable.create();
    const late = claimPriority(3, 7, 2);
    const early = claimPriority(3, 7, 1);
    const first = t.claim(0xabcdef01n, late);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(t.claim(0xabcdef01n, early)).toBe(first);
    expect(t.claim(0xabcdef01n, claimPriority(3, 9, 0))).toBe(first); // worse: still a candidate
    expect(t.priorityOf(0xabcdef01n)).toBe(early);
    expect(claimLevel(early)).toBe(3);
    expect(t.size).toBe(1);
  });

  it('a claim of an earlier level keeps the state: a later level is told so', () => {
    const t = ClaimTable.create();
    t.claim(42n, claimPriority(2, 0, 0));
    expect(t.claim(42n, claimPriority(3, 0, 0))).toBe(CLAIM_EARLIER);
    expect(t.priorityOf(42n)).toBe(claimPriority(2, 0, 0));
    expect(t.has(42n)).toBe(true);
    expect(t.has(43n)).toBe(false);
  });

  it('priorities order by level, then rank, then action; a field out of range is refused', () => {
    expect(claimPriority(1, 2 ** 32 - 1, 2 ** 16 - 1)).toBeLessThan(claimPriority(2, 0, 0));
    expect(claimPriority(2, 5, 2 ** 16 - 1)).toBeLessThan(claimPriority(2, 6, 0));
    expect(() => claimPriority(2, 5, 2 ** 16)).toThrow(RangeError);
    expect(() => claimPriority(2, 2 ** 32, 0)).toThrow(RangeError);
    expect(() => claimPriority(2 ** 15, 0, 0)).toThrow(RangeError);
  });

  it('a full table refuses new states; grown to twice its slots, it holds every claim and takes them', () => {
    const t = ClaimTable.create();
    const room = Math.floor(t.capacity * 0.75);
    // fingerprints that share their low bits probe alike: linear probing past collisions
    for (let i = 1; i <= room; i++)
      expect(t.claim((BigInt(i) << 40n) | 5n, claimPriority(1, i, 0))).toBeGreaterThanOrEqual(0);
    expect(t.crowded).toBe(true);
    expect(t.claim(0xfeedn, claimPriority(1, 0, 0))).toBe(CLAIM_FULL);
    // a state already in it is still claimed
    expect(t.claim((1n << 40n) | 5n, claimPriority(1, 0, 0))).toBeGreaterThanOrEqual(0);
    const g = t.grown();
    expect(g.capacity).toBe(2 * t.capacity);
    expect(g.bytes).toBe(t.grownBytes);
    expect(g.size).toBe(room);
    expect(g.crowded).toBe(false);
    for (let i = 2; i <= room; i++)
      expect(g.priorityOf((BigInt(i) << 40n) | 5n)).toBe(claimPriority(1, i, 0));
    expect(g.priorityOf((1n << 40n) | 5n)).toBe(claimPriority(1, 0, 0));
    expect(g.claim(0xfeedn, claimPriority(1, 0, 0))).toBeGreaterThanOrEqual(0);
  });

  it('another thread sees the same table through its buffers', () => {
    const t = ClaimTable.create();
    const other = new ClaimTable(structuredClone(t.buffers));
    other.claim(99n, claimPriority(4, 1, 1));
    t.claim(99n, claimPriority(4, 1, 0));
    expect(other.priorityOf(99n)).toBe(claimPriority(4, 1, 0));
    expect(other.size).toBe(1);
  });

  it('fingerprint 0 marks an empty slot: refused', () => {
    expect(() => ClaimTable.create().claim(0n, 1n)).toThrow(/fingerprint 0/);
  });
});
