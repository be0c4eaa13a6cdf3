// Linux's deferred ends in the random suites (docs/semantics.md §18.3): the coverage labels of a
// tick (tick+reclaimed, tick+still_pending), and the coherent deferred end of the focus grant.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, initialGfn } from '../../src/configDefaults.ts';
import { withProfile } from '../../src/faults/fault.ts';
import type { Op } from '../../src/ops/op.ts';
import { OpSpace, opArbitrary } from '../../properties/generators/ops.ts';
import type { Focus } from '../../properties/generators/ops.ts';
import { buildSuite } from '../../properties/suites.ts';

const config = withProfile(DEFAULT_CONFIG, 'linux');

describe('tick coverage', () => {
  const suite = buildSuite('conformance', config);
  const tick: Op = { kind: 'tick', dom: 1 };
  it.each([
    [1, 0, ['tick+reclaimed']],
    [0, 2, ['tick+still_pending']],
    [0, 0, []],
  ])('reclaimed %i, pending %i: %j', (reclaimed, pending, labels) => {
    const result = { kind: 'tick', outcome: 'ok', reclaimed, pending } as const;
    expect(suite?.opCoverage?.(tick, result)).toEqual(labels);
  });
});

describe('the coherent deferred end', () => {
  const focus: Focus = { granter: 1, grantee: 2, refs: [9], hostPage: 1, gfn: 1, coherence: 6 };
  it("ends the focus grant, with or without the focus page: the coherent map's grant", () => {
    const ops = fc.sample(opArbitrary(new OpSpace(config, focus), 'end_access_deferred'), {
      seed: 1,
      numRuns: 200,
    });
    const page = initialGfn(config, 1, 1);
    const coherent = ops.filter(
      (op) => op.kind === 'end_access_deferred' && op.dom === 1 && op.ref === 9,
    );
    expect(coherent.some((op) => 'gfn' in op && op.gfn === page)).toBe(true);
    expect(coherent.some((op) => !('gfn' in op))).toBe(true);
    // coherence 6 against 2: most of them
    expect(coherent.length).toBeGreaterThan(ops.length / 2);
  });
});
