// GNTMAP_contains_pte and unmap_and_replace are one x86 PV surface: a subject that does not
// declare unmap_and_replace is never sent a PTE address, by the random
// engine or by the Xen-level explorer; the built-in impl gets them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSuite } from '../../properties/suites.ts';
import { explore } from '../../src/explore/index.ts';
import { OP_KINDS } from '../../src/ops/op.ts';
import type { Op, OpKind } from '../../src/ops/op.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import { GNTMAP_contains_pte } from '../../src/xen/abi.ts';
import { xenModel } from '../../src/xenExplore/index.ts';

const withoutReplace = new Set<OpKind>(OP_KINDS.filter((k) => k !== 'unmap_and_replace'));
const everything = new Set<OpKind>(OP_KINDS);

function ptesIn(ops: readonly Op[]): number {
  return ops.filter(
    (op) =>
      op.kind === 'map_grant_ref' && op.batch.some((e) => (e.flags & GNTMAP_contains_pte) !== 0),
  ).length;
}

function sampleMaps(implemented: ReadonlySet<OpKind>): Op[] {
  const suite = buildSuite('conformance', XEN_DOM0_CONFIG);
  if (!suite) throw new Error('no conformance suite');
  const maps = suite.plan.chain((plan) =>
    fc.array(plan.arbitrary('map_grant_ref', implemented), { minLength: 50, maxLength: 50 }),
  );
  return fc.sample(maps, { seed: 11, numRuns: 40 }).flat();
}

describe('PTE addresses follow unmap_and_replace', () => {
  it('the random engine sends contains_pte maps only to a subject with unmap_and_replace', () => {
    expect(ptesIn(sampleMaps(withoutReplace))).toBe(0);
    expect(ptesIn(sampleMaps(everything))).toBeGreaterThan(50);
  });

  it('so does the Xen-level explorer', () => {
    const bounds = { domains: 1, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' } as const;
    const seen = (kinds?: readonly OpKind[]): Op[] => {
      const ops: Op[] = [];
      const model = xenModel(bounds, kinds ? { opKinds: kinds } : {});
      explore(model, {
        symmetry: true,
        onTransition: (_s, op) => {
          ops.push(op);
          return null;
        },
      });
      return ops;
    };
    expect(ptesIn(seen([...withoutReplace]))).toBe(0);
    expect(ptesIn(seen())).toBeGreaterThan(0);
  });
});
