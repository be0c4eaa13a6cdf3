// The linearizability check: hand-made histories of the XSA-396 shape (a guest's end_access
// racing a backend's map of the same grant), each with the verdict Wing and Gong's search must
// give, and a property that every sequential run is linearizable in its own order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { op } from '../../support/ops.ts';
import { makeConfig } from '../../../src/config.ts';
import type { CompletedOp } from '../../../src/interleave/linearize.ts';
import { linearize } from '../../../src/interleave/linearize.ts';
import type { ModelState } from '../../../src/model/index.ts';
import { initialState, step } from '../../../src/model/index.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import { OpSpace, focusArbitrary, opArbitrary } from '../../../properties/generators/ops.ts';
import { OP_KINDS } from '../../../src/ops/op.ts';
import { PINNED_SEEDS, testSeeds } from '../../support/seeds.ts';

const config = makeConfig();

/** The state and results of `texts` run one after another from the initial state. */
function sequential(texts: readonly string[]): { state: ModelState; results: OpResult[] } {
  let state = initialState(config);
  const results: OpResult[] = [];
  for (const t of texts) {
    const next = step(state, op(t));
    state = next.state;
    results.push(next.result);
  }
  return { state, results };
}

const GRANT = 'grant_access(d1 ref=8 -> d2 gfn=0 rw)';
const MAP = 'map(d2: d1 ref=8 host @0x5000)';
const END = 'end_access(d1 ref=8)';

/** After GRANT: a map by d2 and an end_access by d1, overlapping in time (invoked at 1 and 2,
 * returned at 3 and 4), with the results given. */
function race(mapResult: OpResult, endResult: OpResult): CompletedOp[] {
  const granted = sequential([GRANT]);
  return [
    { actor: 0, op: op(GRANT), result: granted.results[0] as OpResult, invoked: 0, returned: 0 },
    { actor: 1, op: op(MAP), result: mapResult, invoked: 1, returned: 3 },
    { actor: 0, op: op(END), result: endResult, invoked: 2, returned: 4 },
  ];
}

describe('linearize', () => {
  const mapFirst = sequential([GRANT, MAP, END]);
  const endFirst = sequential([GRANT, END, MAP]);
  const [, mapOkay, endInUse] = mapFirst.results as [OpResult, OpResult, OpResult];
  const [, endEnded, mapRefused] = endFirst.results as [OpResult, OpResult, OpResult];

  it('the two sequential orders give different results (the race is observable)', () => {
    expect(endInUse).toEqual({ kind: 'end_access', outcome: 'in_use' });
    expect(endEnded).toEqual({ kind: 'end_access', outcome: 'ended' });
    expect(mapOkay).not.toEqual(mapRefused);
  });

  it('explains a map that won the race by placing it first', () => {
    const verdict = linearize(initialState(config), race(mapOkay, endInUse), mapFirst.state);
    expect(verdict).toEqual({ kind: 'linearizable', order: [0, 1, 2] });
  });

  it('explains an end_access that won the race by placing it first', () => {
    const verdict = linearize(initialState(config), race(mapRefused, endEnded), endFirst.state);
    expect(verdict).toEqual({ kind: 'linearizable', order: [0, 2, 1] });
  });

  it('refuses both winning: the map succeeded and the grant ended (XSA-396)', () => {
    const verdict = linearize(initialState(config), race(mapOkay, endEnded));
    expect(verdict).toMatchObject({
      kind: 'not-linearizable',
      longestOrder: [0, 1],
      stuck: [2],
      finalStateDiffers: false,
    });
  });

  it('keeps real-time order: an end_access that returned before the map was invoked comes first', () => {
    const history = race(mapOkay, endInUse).map((h) =>
      h.op.kind === 'end_access'
        ? { ...h, invoked: 1, returned: 1 }
        : h.op.kind === 'map_grant_ref'
          ? { ...h, invoked: 2 }
          : h,
    );
    expect(linearize(initialState(config), history)).toMatchObject({
      kind: 'not-linearizable',
      longestOrder: [0],
    });
  });

  it('refuses a history whose results fit but whose final state does not', () => {
    const verdict = linearize(initialState(config), race(mapOkay, endInUse), endFirst.state);
    expect(verdict).toMatchObject({
      kind: 'not-linearizable',
      longestOrder: [0, 1, 2],
      finalStateDiffers: true,
    });
  });

  it('refuses malformed histories', () => {
    const h = race(mapOkay, endInUse);
    expect(() => linearize(initialState(config), [{ ...h[1]!, returned: 0 }])).toThrow(
      /returned before/,
    );
    expect(() =>
      linearize(
        initialState(config),
        Array.from({ length: 32 }, () => h[0]!),
      ),
    ).toThrow(/at most 31/);
  });

  // Any sequential run (each op returns before the next is invoked) is linearizable, in exactly
  // its own order, ending in its own state.
  const seeds = [...PINNED_SEEDS.slice(0, 1), ...testSeeds('linearize sequential').slice(-1)];
  it.each(seeds)('explains every sequential run in its own order (seed %i)', (seed) => {
    const runs = focusArbitrary(config).chain((focus) =>
      fc.array(fc.oneof(...OP_KINDS.map((k) => opArbitrary(new OpSpace(config, focus), k))), {
        maxLength: 12,
      }),
    );
    fc.assert(
      fc.property(runs, (ops) => {
        let state = initialState(config);
        const history: CompletedOp[] = ops.map((o, i) => {
          const next = step(state, o);
          state = next.state;
          return { actor: 0, op: o, result: next.result, invoked: i, returned: i };
        });
        const verdict = linearize(initialState(config), history, state);
        expect(verdict).toEqual({ kind: 'linearizable', order: ops.map((_, i) => i) });
      }),
      { seed, numRuns: 100 },
    );
  });
});
