// resultsEqual: results are compared as JSON values, a field set to undefined counting as absent.
import { describe, expect, it } from 'vitest';
import { resultsEqual } from '../../../src/harness/results.ts';
import type { OpResult } from '../../../src/ops/result.ts';

const r = (x: unknown) => x as OpResult;

describe('resultsEqual', () => {
  it('compares fields in any order, nested arrays and records included', () => {
    const a = r({ kind: 'map_grant_ref', results: [{ status: 0, handle: 3, devBusAddr: 4096 }] });
    const b = r({ results: [{ devBusAddr: 4096, handle: 3, status: 0 }], kind: 'map_grant_ref' });
    expect(resultsEqual(a, b)).toBe(true);
    expect(resultsEqual(a, r({ kind: 'map_grant_ref', results: [{ status: -1 }] }))).toBe(false);
    const statuses = (s: number[]) => r({ kind: 'transfer', statuses: s });
    expect(resultsEqual(statuses([0, -7]), statuses([0, -7]))).toBe(true);
    expect(resultsEqual(statuses([0, -7]), statuses([0]))).toBe(false);
    expect(resultsEqual(statuses([0]), statuses([-7]))).toBe(false);
  });

  it('takes a field set to undefined as absent, either side, and any other field as a difference', () => {
    const bare = r({ kind: 'setup_table', status: 0 });
    const unset = r({ kind: 'setup_table', status: 0, nrFrames: undefined });
    const set = r({ kind: 'setup_table', status: 0, nrFrames: 1 });
    expect(resultsEqual(bare, unset)).toBe(true);
    expect(resultsEqual(unset, bare)).toBe(true);
    expect(resultsEqual(bare, set)).toBe(false);
    expect(resultsEqual(set, bare)).toBe(false);
    expect(resultsEqual(set, unset)).toBe(false);
  });

  it('tells a record from a list and a value from a record', () => {
    expect(resultsEqual(r({ kind: 'x', v: [] }), r({ kind: 'x', v: {} }))).toBe(false);
    expect(resultsEqual(r({ kind: 'x', v: {} }), r({ kind: 'x', v: [] }))).toBe(false);
    expect(resultsEqual(r({ kind: 'x', v: 0 }), r({ kind: 'x', v: {} }))).toBe(false);
    expect(resultsEqual(r({ kind: 'x', v: null }), r({ kind: 'x', v: {} }))).toBe(false);
    // a field named as one of Object.prototype's is a field like any other
    expect(resultsEqual(r({ kind: 'x', toString: 1 }), r({ kind: 'x' }))).toBe(false);
    expect(resultsEqual(r({ kind: 'x' }), r({ kind: 'x', toString: 1 }))).toBe(false);
  });
});
