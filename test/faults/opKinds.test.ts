// KillOptions.opKinds: a fault's counterexample searched over a subject's op kinds only (the dom0
// corpus over real Xen's agent, test/corpus/record-dom0.ts), so that it replays on that subject.
import { describe, expect, it } from 'vitest';
import { findFault } from '../../src/faults/index.ts';
import { attemptSuite } from '../../src/faults/kill.ts';
import { OP_KINDS } from '../../src/ops/op.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import { GNTMAP_contains_pte } from '../../src/xen/abi.ts';
import { buildSuite } from '../../properties/suites.ts';

const suite = buildSuite('conformance', XEN_DOM0_CONFIG);
const fault = findFault('xsa-227-misaligned-pte');

describe('attemptSuite with opKinds', () => {
  it('generates only those kinds: without unmap_and_replace, no contains_pte map either', () => {
    if (!suite || !fault) throw new Error('no suite or fault');
    const all = attemptSuite(suite, fault, { seed: 1, runs: 300 });
    expect(all.kind).toBe('caught');
    if (all.kind === 'caught') {
      const pte = all.shrunk.some(
        (op) => op.kind === 'map_grant_ref' && op.batch.some((e) => e.flags & GNTMAP_contains_pte),
      );
      expect(pte).toBe(true);
    }
    const opKinds = OP_KINDS.filter((k) => k !== 'unmap_and_replace');
    const without = attemptSuite(suite, fault, { seed: 1, runs: 300, opKinds });
    expect(without.kind).toBe('missed');
  });
});
