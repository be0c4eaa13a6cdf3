// The viewer's sequence diagram as data: lanes, where each op's arrow goes, and the rows of
// sequential and interleaved runs (numbers, results, mismatch, the failing step).
import { describe, expect, it } from 'vitest';
import { parseOp } from '../../../src/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import {
  interleavedRows,
  lanesOf,
  opTarget,
  sequentialRows,
  XEN_LANE,
} from '../../../src/view/diagram.ts';

function op(text: string): Op {
  const parsed = parseOp(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.op;
}

describe('lanesOf', () => {
  it('one lane per domain, then Xen', () => {
    expect(lanesOf(3).map((l) => l.id)).toEqual(['d0', 'd1', 'd2', XEN_LANE]);
    expect(lanesOf(3).map((l) => l.kind)).toEqual(['domain', 'domain', 'domain', 'xen']);
  });

  it("an interleaved run's actors follow their domain, named by domain and vCPU", () => {
    const lanes = lanesOf(3, [{ dom: 2 }, { dom: 1 }, { dom: 2, vcpu: 1 }]);
    expect(lanes.map((l) => l.id)).toEqual(['d0', 'd1', 'a1', 'd2', 'a0', 'a2', XEN_LANE]);
    expect(lanes.find((l) => l.id === 'a2')?.label).toBe('a2: d2 v1');
  });
});

describe('opTarget', () => {
  it('a hypercall goes to Xen', () => {
    expect(opTarget(op('map(d2: d1 ref=8 host|ro @0x5000)'), 3)).toBe(XEN_LANE);
    expect(opTarget(op('query_size(d1: dom=self)'), 3)).toBe(XEN_LANE);
  });

  it('granting goes to the grantee, or stays home when the grantee has no lane', () => {
    expect(opTarget(op('grant_access(d1 ref=8 -> d2 gfn=0 rw)'), 3)).toBe('d2');
    expect(opTarget(op('grant_access(d1 ref=8 -> d7 gfn=0 rw)'), 3)).toBe('d1');
  });

  it("other guest-library calls act on the guest's own table or memory", () => {
    expect(opTarget(op('end_access(d1 ref=8)'), 3)).toBe('d1');
    expect(opTarget(op('raw_write(d0 ref=11 flags=0x11 domid=0 frame=0)'), 3)).toBe('d0');
  });
});

describe('sequentialRows', () => {
  const steps = [
    {
      op: op('grant_access(d1 ref=8 -> d2 gfn=0 rw)'),
      text: 'g',
      model: 'ok',
      impl: 'ok',
      mismatch: false,
    },
    {
      op: op('end_access(d1 ref=8)'),
      text: 'e',
      model: 'in_use',
      impl: 'ended',
      mismatch: true,
      failure: 'result mismatch: why',
    },
  ];

  it('numbers from 1, arrows from the acting domain, both results, the failure on its step', () => {
    const rows = sequentialRows(steps, 3);
    expect(rows.map((r) => [r.step, r.number, r.from, r.to])).toEqual([
      [1, '1', 'd1', 'd2'],
      [2, '2', 'd1', 'd1'],
    ]);
    expect(rows[1]).toMatchObject({ model: 'in_use', impl: 'ended', mismatch: true });
    expect(rows[0]?.failure).toBeUndefined();
    expect(rows[1]?.failure).toBe('result mismatch: why');
  });

  it("a setup's rows are numbered s1, s2 at the diagram steps given", () => {
    const rows = sequentialRows(steps, 3, 'setup', 5);
    expect(rows.map((r) => [r.step, r.number, r.phase])).toEqual([
      [5, 's1', 'setup'],
      [6, 's2', 'setup'],
    ]);
  });
});

describe('interleavedRows', () => {
  const map = op('map(d2: d1 ref=8 dev|ro @0x0)');
  const end = op('end_access(d1 ref=8)');

  it("an actor's arrow starts on its lane; a call on its own domain stays on it", () => {
    const rows = interleavedRows(
      [
        { actor: 0, op: map, text: 'map…' },
        { actor: 1, op: end, text: 'cmpxchg flags d1:8', impl: 'ended' },
      ],
      3,
      3,
    );
    expect(rows.map((r) => [r.step, r.number, r.from, r.to])).toEqual([
      [3, '1', 'a0', XEN_LANE],
      [4, '2', 'a1', 'a1'],
    ]);
    expect(rows[0]?.impl).toBeUndefined();
    expect(rows[0]?.model).toBeUndefined();
    expect(rows[1]?.impl).toBe('ended');
  });

  it('the failing schedule position carries the failure', () => {
    const rows = interleavedRows(
      [
        { actor: 0, op: map, text: 'a' },
        { actor: 0, op: map, text: 'b' },
      ],
      3,
      1,
      { position: 1, text: 'deadlock: stuck' },
    );
    expect(rows.map((r) => r.failure)).toEqual([undefined, 'deadlock: stuck']);
  });
});
