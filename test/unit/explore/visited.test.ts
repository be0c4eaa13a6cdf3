// The visited stores: a set with insertion indices and parent links, across growth, and their
// refusals (bad keys, the states bound, the bytes bound).

import { describe, expect, it } from 'vitest';
import {
  NumericVisited,
  OVER_MEMORY,
  OVER_STATES,
  SEEN,
  StringVisited,
} from '../../../src/explore/visited.ts';

/** Deterministic keys spread over the whole 53-bit range (xorshift). */
function keys(n: number): number[] {
  let x = 0x2545f491;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(((x >>> 0) % 2 ** 21) * 2 ** 32 + ((Math.imul(x, 0x9e3779b1) >>> 0) % 7919) + i);
  }
  return out;
}

describe.each([
  ['NumericVisited', () => new NumericVisited(Infinity, Infinity)],
  ['StringVisited', () => new StringVisited(Infinity, Infinity)],
] as const)('%s', (_name, make) => {
  it('agrees with a Set across growth, and keeps indices and parents', () => {
    const store = make();
    const reference = new Set<number>();
    const ks = keys(50_000);
    for (const [i, k] of ks.entries()) {
      const expected = reference.has(k) ? SEEN : reference.size;
      expect(store.add(k, i - 1)).toBe(expected);
      reference.add(k);
      expect(store.add(k, 0)).toBe(SEEN);
    }
    expect(store.size).toBe(reference.size);
    for (const k of ks.slice(0, 1000)) expect(store.has(k)).toBe(true);
    expect(store.has(7)).toBe(false);
    expect(store.keyAt(1234)).toBe(ks[1234]);
    expect(store.parentAt(1234)).toBe(1233);
    expect(store.parentAt(0)).toBe(-1);
  });
});

describe('NumericVisited', () => {
  it('accepts 0 and 2^53 - 1, refuses other numbers and strings', () => {
    const store = new NumericVisited(Infinity, Infinity);
    expect(store.add(0, -1)).toBe(0);
    expect(store.add(Number.MAX_SAFE_INTEGER, 0)).toBe(1);
    for (const bad of [-1, 0.5, 2 ** 53, NaN, Infinity, 'x']) {
      expect(() => store.add(bad, 0)).toThrow(/non-negative safe integers/);
    }
  });

  it('stops at the states bound', () => {
    const store = new NumericVisited(3, Infinity);
    expect([1, 2, 3, 4].map((k) => store.add(k, 0))).toEqual([0, 1, 2, OVER_STATES]);
    expect(store.add(2, 0)).toBe(SEEN);
    expect(store.size).toBe(3);
  });

  it('never holds more bytes than the bound, growth included', () => {
    const store = new NumericVisited(Infinity, 100_000);
    let k = 0;
    let r: number;
    while ((r = store.add(k++, 0)) >= 0);
    expect(r).toBe(OVER_MEMORY);
    expect(store.bytes).toBeLessThanOrEqual(100_000);
    expect(store.size).toBeGreaterThan(2_000);
  });
});

describe.each([
  ['NumericVisited', (limit: number) => new NumericVisited(Infinity, limit)],
  ['StringVisited', (limit: number) => new StringVisited(Infinity, limit)],
] as const)('%s: a byte limit lowered while it runs', (_name, make) => {
  it('refuses the next growth past it, stores nothing, and says how much it needed', () => {
    const store = make(Infinity);
    let k = 0;
    while (store.size < 5000) store.add(k++, 0);
    store.byteLimit = store.bytes + 1000;
    let r: number;
    while ((r = store.add(k++, 0)) >= 0);
    expect(r).toBe(OVER_MEMORY);
    const size = store.size;
    expect(store.neededBytes).toBeGreaterThan(store.byteLimit);
    expect(store.bytes).toBeLessThanOrEqual(store.byteLimit);
    expect(store.add(k, 0)).toBe(OVER_MEMORY);
    expect(store.size).toBe(size);
    // Raised again, it grows again.
    store.byteLimit = Infinity;
    expect(store.add(k, 0)).toBe(size);
  });
});

describe('StringVisited', () => {
  it('stops at the bytes bound, counting the characters', () => {
    const store = new StringVisited(Infinity, 10_000);
    let k = 0;
    let r: number;
    while ((r = store.add(`state-${k++}`, 0)) >= 0);
    expect(r).toBe(OVER_MEMORY);
    expect(store.bytes).toBeLessThanOrEqual(10_000);
    expect(store.bytes / store.size).toBeGreaterThan(50);
  });
});
