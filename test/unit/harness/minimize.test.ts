// Value shrinking: after fast-check has shrunk the op list, each number is moved toward the
// smallest value that still fails the same check. Pinned on the faults whose counterexamples
// used to carry large values (raw flags 0xa991, 0x651a; gfn 2^32-1).
import { describe, expect, it } from 'vitest';
import { faultSubject, findFault } from '../../../src/faults/index.ts';
import { minimizeValues } from '../../../src/harness/minimize.ts';
import { runSuite } from '../../../src/harness/random.ts';
import type { RunReport } from '../../../src/harness/run.ts';
import type { Op } from '../../../src/ops/op.ts';
import { formatOp } from '../../../src/ops/text.ts';
import { buildSuite } from '../../../properties/suites.ts';

const found = buildSuite('conformance');
if (!found) throw new Error('no suite');
const suite = found;

function shrunk(faultId: string, seed: number): readonly Op[] {
  const fault = findFault(faultId);
  if (!fault) throw new Error(`no fault ${faultId}`);
  const outcome = runSuite(suite, { seed, subject: faultSubject(fault) });
  if (outcome.kind !== 'violation') throw new Error(`${faultId} not caught with seed ${seed}`);
  return outcome.ops;
}

describe('counterexamples carry the smallest values that still fail', () => {
  for (const seed of [1, 5, 42]) {
    it(`end-access-ignores-writing: the raw write is permit_access|writing (seed ${seed})`, () => {
      const raw = shrunk('end-access-ignores-writing', seed).filter((o) => o.kind === 'raw_write');
      expect(raw.map((o) => ('flags' in o ? o.flags : -1))).toEqual([0x11]);
    });
    it(`transfer-ignores-domid: gfns and frames shrink to 0 (seed ${seed})`, () => {
      const text = shrunk('transfer-ignores-domid', seed).map(formatOp).join(' ');
      expect(text).not.toMatch(/gfn=[1-9]/);
    });
    it(`end-transfer-cancels-committed: at most two flag bits (seed ${seed})`, () => {
      const raw = shrunk('end-transfer-cancels-committed', seed).filter(
        (o) => o.kind === 'raw_write',
      );
      for (const o of raw) {
        const flags = 'flags' in o ? o.flags : 0;
        expect(flags.toString(2).replace(/0/g, '').length).toBeLessThanOrEqual(2);
      }
    });
  }
});

describe('minimizeValues', () => {
  // A stand-in run that fails (with the same check) while the first op's flags keep bits 0 and 4.
  const fails = (ops: readonly Op[]): RunReport => {
    const op = ops[0];
    const bad = op?.kind === 'raw_write' && (op.flags & 0x11) === 0x11 && op.frame !== 7;
    return {
      initialState: undefined as never,
      steps: [],
      failure: bad ? { step: 0, violation: { check: 'result-mismatch' } } : null,
    };
  };
  it('clears every bit the failure does not need, and leaves identity fields alone', () => {
    const op: Op = { kind: 'raw_write', dom: 2, ref: 9, flags: 0xa991, domid: 5, frame: 0xffff };
    const { ops } = minimizeValues([op], fails([op]), fails);
    expect(ops).toEqual([{ kind: 'raw_write', dom: 2, ref: 9, flags: 0x11, domid: 5, frame: 0 }]);
  });
  it('keeps a value the failure needs, and stops within its budget', () => {
    let calls = 0;
    const needsSeven = (ops: readonly Op[]): RunReport => {
      calls++;
      const o = ops[0];
      const bad = o?.kind === 'raw_write' && o.frame === 7 && (o.flags & 0x11) === 0x11;
      return {
        initialState: undefined as never,
        steps: [],
        failure: bad ? { step: 0, violation: { check: 'result-mismatch' } } : null,
      };
    };
    const op: Op = { kind: 'raw_write', dom: 1, ref: 8, flags: 0x11, domid: 0, frame: 7 };
    const { ops } = minimizeValues([op], needsSeven([op]), needsSeven, 10);
    expect(ops[0]).toMatchObject({ flags: 0x11, frame: 7 });
    expect(calls).toBeLessThanOrEqual(11);
  });
});
