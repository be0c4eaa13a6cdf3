// Batch-length classes (properties/generators/batches.ts): every length falls in exactly one
// class, the bounds follow Xen's loops and the config, and the ladder hits every class.
import { describe, expect, it } from 'vitest';
import {
  BATCH_KINDS,
  batchCoverage,
  ladder,
  lengthClasses,
  lengthLabel,
} from '../../properties/generators/batches.ts';
import { makeConfig } from '../../src/config.ts';
import type { UnmapGrantRefArgs } from '../../src/ops/op.ts';
import { MAX_BATCH } from '../../src/ops/op.ts';

const CONFIG = makeConfig({});

describe('batch-length classes', () => {
  it('put the unmap chunk bounds (GNTTAB_UNMAP_BATCH_SIZE = 32) in classes of their own', () => {
    const label = (n: number) => lengthLabel('unmap_grant_ref', CONFIG, n);
    expect([1, 2, 31, 32, 33, 64, 65, 1000].map(label)).toEqual([
      'unmap_grant_ref:len=1',
      'unmap_grant_ref:len=2-31',
      'unmap_grant_ref:len=2-31',
      'unmap_grant_ref:len=32',
      'unmap_grant_ref:len=33-64',
      'unmap_grant_ref:len=33-64',
      'unmap_grant_ref:len>=65',
      'unmap_grant_ref:len>=65',
    ]);
  });

  it("bound map batches by the pin counter and the config's maptrack table", () => {
    const label = (n: number) =>
      lengthLabel('map_grant_ref', makeConfig({ maxMaptrackFrames: 2 }), n);
    expect([1, 128, 129, 511, 512].map(label)).toEqual([
      'map_grant_ref:len=1',
      'map_grant_ref:len=2-128',
      'map_grant_ref:len=129-511',
      'map_grant_ref:len=129-511',
      'map_grant_ref:len>=512',
    ]);
  });

  it('have a ladder that reaches every class', () => {
    for (const kind of BATCH_KINDS) {
      const labels = new Set(ladder(kind, CONFIG).map((n) => lengthLabel(kind, CONFIG, n)));
      expect(labels.size, kind).toBe(lengthClasses(kind, CONFIG).length);
    }
  });

  it('keep the default ladders, and no burst longer than a batch may be (MAX_BATCH)', () => {
    expect(ladder('map_grant_ref', CONFIG)).toEqual([1, 2, 128, 129, 255, 256, 257]);
    expect(ladder('unmap_grant_ref', CONFIG)).toEqual([1, 2, 31, 32, 33, 64, 65, 66]);
    // Xen's default maptrack limit (1024 frames): 262,143 handles, more than a batch can ask.
    const xen = makeConfig({ domains: 1, maxMaptrackFrames: 1024 });
    expect(ladder('map_grant_ref', xen)).toEqual([1, 2, 128, 129, MAX_BATCH]);
    for (const kind of BATCH_KINDS) {
      const labels = new Set(ladder(kind, xen).map((n) => lengthLabel(kind, xen, n)));
      expect(labels.size, kind).toBe(lengthClasses(kind, xen).length);
    }
    expect(lengthLabel('map_grant_ref', xen, MAX_BATCH)).toBe('map_grant_ref:len=129-262143');
  });

  it('count map and unmap batches by class, and nothing else', () => {
    const coverage = batchCoverage(CONFIG);
    const element: UnmapGrantRefArgs = { handle: 0, hostAddr: 0, devBusAddr: 0 };
    const batch = Array.from({ length: 32 }, () => element);
    expect(coverage({ kind: 'unmap_grant_ref', caller: 1, batch })).toEqual([
      'unmap_grant_ref:len=32',
    ]);
    expect(coverage({ kind: 'query_size', caller: 0, dom: 0 })).toEqual([]);
  });
});
