import { actingDomain } from '../../../src/ops/op.ts';
import { IntMap } from '../../../src/model/intMap.ts';
import { FreeList } from '../../../src/model/freeList.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, makeConfig } from '../../../src/config.ts';
import {
  describeState,
  diffStates,
  initialState,
  stateKey,
  statesEqual,
  step,
} from '../../../src/model/index.ts';
import type { DomainState, ModelState } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import { OP_KINDS } from '../../../src/ops/op.ts';
import { OpSpace, opArbitrary } from '../../../properties/generators/ops.ts';
import { testSeeds } from '../../support/seeds.ts';

// Well-typed but unvalidated numbers: negative, fractional, huge, NaN.
const wild = fc.oneof(
  fc.integer({ min: -3, max: 12 }),
  fc.constantFrom(-1, 0.5, 255, 256, 511, 512, 0x7ff0, 0xffff, 2 ** 32 - 1, 2 ** 53, NaN),
);
const wildOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('grant_access' as const),
    dom: wild,
    ref: wild,
    grantee: wild,
    gfn: wild,
    readonly: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('end_access' as const), dom: wild, ref: wild }),
  fc.record({
    kind: fc.constant('grant_transfer' as const),
    dom: wild,
    ref: wild,
    grantee: wild,
    gfn: wild,
  }),
  fc.record({ kind: fc.constant('end_transfer' as const), dom: wild, ref: wild }),
  fc.record({
    kind: fc.constant('raw_write' as const),
    dom: wild,
    ref: wild,
    flags: wild,
    domid: wild,
    frame: wild,
  }),
  fc.record({
    kind: fc.constant('map_grant_ref' as const),
    caller: wild,
    batch: fc.array(fc.record({ dom: wild, ref: wild, flags: wild, hostAddr: wild }), {
      maxLength: 3,
    }),
  }),
  fc.record({
    kind: fc.constant('unmap_grant_ref' as const),
    caller: wild,
    batch: fc.array(fc.record({ handle: wild, hostAddr: wild, devBusAddr: wild }), {
      maxLength: 3,
    }),
  }),
  fc.record({
    kind: fc.constant('transfer' as const),
    caller: wild,
    batch: fc.array(fc.record({ gfn: wild, domid: wild, ref: wild }), { maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('setup_table' as const), caller: wild, dom: wild, nrFrames: wild }),
  fc.record({ kind: fc.constant('query_size' as const), caller: wild, dom: wild }),
  fc.record({
    kind: fc.constant('swap_grant_ref' as const),
    caller: wild,
    batch: fc.array(fc.record({ refA: wild, refB: wild }), { maxLength: 3 }),
  }),
);
const space = new OpSpace(DEFAULT_CONFIG);
const realisticOp = fc.oneof(...OP_KINDS.map((k) => opArbitrary(space, k)));
const anyOp = fc.oneof({ arbitrary: realisticOp, weight: 3 }, { arbitrary: wildOp, weight: 1 });

/** The same state rebuilt with every map and set filled in reverse insertion order. */
function reordered(state: ModelState): ModelState {
  const rev = <K, V>(m: ReadonlyMap<K, V>) => new Map([...m].reverse());
  const domains = state.domains.map((d): DomainState => ({
    ...d,
    p2m: rev(d.p2m),
    grantTable: {
      ...d.grantTable,
      entries: rev(d.grantTable.entries),
      active: rev(d.grantTable.active),
    },
    maptrack: {
      ...d.maptrack,
      freeList: FreeList.of(d.maptrack.freeList.toArray()),
      mappings: IntMap.from([...d.maptrack.mappings].reverse()),
    },
    hostMappings: rev(d.hostMappings),
    rawWritten: new Set([...d.rawWritten].reverse()),
  }));
  return {
    domains,
    frameOwner: rev(state.frameOwner),
    contents: rev(state.contents),
    flow: undefined,
  };
}

function agree(a: ModelState, b: ModelState): void {
  const equal = statesEqual(a, b);
  expect(stateKey(a) === stateKey(b)).toBe(equal);
  expect(statesEqual(b, a)).toBe(equal);
  expect(diffStates(a, b).length === 0).toBe(equal);
}

describe('step is pure and total', () => {
  for (const seed of testSeeds('model step total')) {
    it(`never throws, never mutates, and stateKey/statesEqual/diffStates agree (seed ${seed})`, () => {
      fc.assert(
        fc.property(fc.array(anyOp, { maxLength: 40 }), (ops) => {
          const initial = initialState(DEFAULT_CONFIG);
          let state = initial;
          for (const op of ops) {
            const key = stateKey(state);
            const next = step(state, op);
            expect(stateKey(state)).toBe(key);
            // an op of a dying or gone domain is not made (docs/semantics.md §17)
            expect(next.result.kind).toBe(
              state.domains[actingDomain(op)]?.death === undefined ? op.kind : 'not_running',
            );
            agree(state, next.state);
            agree(initial, next.state);
            state = next.state;
          }
          const copy = reordered(state);
          expect(stateKey(copy)).toBe(stateKey(state));
          expect(statesEqual(copy, state)).toBe(true);
          expect(diffStates(copy, state)).toEqual([]);
          expect(describeState(copy)).toEqual(describeState(state));
        }),
        { seed, numRuns: 200 },
      );
    });
  }

  it('batch results have one entry per element', () => {
    fc.assert(
      fc.property(anyOp, (op) => {
        const { result } = step(initialState(DEFAULT_CONFIG), op);
        if ('batch' in op) {
          const n =
            'results' in result
              ? result.results.length
              : 'statuses' in result
                ? result.statuses.length
                : -1;
          expect(n).toBe(op.batch.length);
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('initialState', () => {
  it('populates gfns at MFN_BASE + d*pages + g, owned by d, with no grants or maptrack', () => {
    const s = initialState(makeConfig({ domains: 2, pagesPerDomain: 2, maxPagesSlack: 3 }));
    expect(s.domains.map((d) => [d.id, d.privileged, d.totPages, d.maxPages, [...d.p2m]])).toEqual([
      [
        0,
        true,
        2,
        5,
        [
          [0, 0x100],
          [1, 0x101],
        ],
      ],
      [
        1,
        false,
        2,
        5,
        [
          [0, 0x102],
          [1, 0x103],
        ],
      ],
    ]);
    expect([...s.frameOwner]).toEqual([
      [0x100, 0],
      [0x101, 0],
      [0x102, 1],
      [0x103, 1],
    ]);
    const d1 = s.domains[1]!;
    expect(d1.grantTable).toMatchObject({ nrFrames: 1, maxFrames: 2 });
    expect(d1.grantTable.entries.size + d1.grantTable.active.size + d1.hostMappings.size).toBe(0);
    expect(d1.maptrack).toEqual({
      limit: 0,
      maxFrames: 1,
      freeList: FreeList.EMPTY,
      mappings: IntMap.empty(),
    });
  });
});
