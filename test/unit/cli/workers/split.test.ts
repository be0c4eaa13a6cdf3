// The split of a suite's runs: --shard's parts cover the runs exactly once, in order; the blocks
// of a part cover it; bad --shard and --workers values are one clear usage error each.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../../src/cli/options.ts';
import {
  blocksOf,
  defaultCores,
  defaultWorkers,
  parseShard,
  parseWorkers,
  shardRange,
} from '../../../../src/cli/workers/split.ts';

describe('--shard i/n', () => {
  it('reads i/n', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard('3/3')).toEqual({ index: 3, count: 3 });
    expect(parseShard(undefined)).toBeUndefined();
  });
  it.each([
    ['0/2', '--shard: i = 0 is outside 1..2'],
    ['3/2', '--shard: i = 3 is outside 1..2'],
    ['1/0', '--shard: n = 0 is outside 1..10000'],
    ['x', "--shard: 'x' is not i/n (e.g. 1/4)"],
    ['1/2/3', "--shard: '1/2/3' is not i/n (e.g. 1/4)"],
    ['-1/2', "--shard: '-1/2' is not i/n (e.g. 1/4)"],
  ])('rejects %s', (value, message) => {
    expect(() => parseShard(value)).toThrow(new UsageError(message));
  });

  it('pins the parts of 10 runs in 3 shards', () => {
    const parts = [1, 2, 3].map((index) => shardRange(10, { index, count: 3 }));
    expect(parts).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 10 },
    ]);
  });

  it('the n shards cover 0..total once, in order, sizes within one of each other', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.integer({ min: 1, max: 64 }), (total, count) => {
        const parts = Array.from({ length: count }, (_, i) =>
          shardRange(total, { index: i + 1, count }),
        );
        expect(parts[0]?.start).toBe(0);
        expect(parts[count - 1]?.end).toBe(total);
        for (let i = 1; i < count; i++) expect(parts[i]?.start).toBe(parts[i - 1]?.end);
        const sizes = parts.map((p) => p.end - p.start);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('no shard: the whole range', () => {
    expect(shardRange(7, undefined)).toEqual({ start: 0, end: 7 });
  });
});

describe('blocks', () => {
  it('cut a range into consecutive blocks of at most 50 runs, about four per worker', () => {
    expect(blocksOf({ start: 0, end: 10 }, 2)).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 4 },
      { start: 4, end: 6 },
      { start: 6, end: 8 },
      { start: 8, end: 10 },
    ]);
    expect(blocksOf({ start: 100, end: 2100 }, 2)).toHaveLength(40);
    expect(blocksOf({ start: 5, end: 5 }, 2)).toEqual([]);
  });
  it('cover the range exactly, in order', () => {
    fc.assert(
      fc.property(fc.nat(3000), fc.nat(3000), fc.integer({ min: 1, max: 16 }), (a, n, w) => {
        const blocks = blocksOf({ start: a, end: a + n }, w);
        let at = a;
        for (const b of blocks) {
          expect(b.start).toBe(at);
          expect(b.end).toBeGreaterThan(b.start);
          expect(b.end - b.start).toBeLessThanOrEqual(50);
          at = b.end;
        }
        expect(at).toBe(a + n);
      }),
    );
  });
});

describe('--workers N', () => {
  it('defaults to the cores but one, takes 1..256', () => {
    expect(parseWorkers(undefined)).toBeGreaterThanOrEqual(1);
    expect(parseWorkers('3')).toBe(3);
  });
  it('by default, the cores but one, and at least 250 runs a worker', () => {
    expect(defaultCores(1)).toBe(1);
    expect(defaultCores(2)).toBe(1);
    expect(defaultCores(8)).toBe(7);
    expect(defaultWorkers(2000, 0, 2)).toBe(1);
    expect(defaultWorkers(2000, 0, 3)).toBe(2);
    expect(defaultWorkers(2000, 0, 16)).toBe(8);
    expect(defaultWorkers(499, 0, 4)).toBe(1);
    expect(defaultWorkers(500, 0, 8)).toBe(2);
    expect(defaultWorkers(20, 0, 8)).toBe(1);
    expect(defaultWorkers(0, 0, 8)).toBe(1);
    // workers an earlier suite started take any suite, up to the cores but one
    expect(defaultWorkers(100, 3, 4)).toBe(3);
    expect(defaultWorkers(100, 7, 4)).toBe(3);
    expect(defaultWorkers(2000, 1, 8)).toBe(7);
    expect(defaultWorkers(100, 0, 4)).toBe(1);
  });
  it.each([
    ['0', '--workers: 0 is outside 1..256'],
    ['257', '--workers: 257 is outside 1..256'],
    ['two', "--workers: 'two' is not a whole number"],
  ])('rejects %s', (value, message) => {
    expect(() => parseWorkers(value)).toThrow(new UsageError(message));
  });
});
