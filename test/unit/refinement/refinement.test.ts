// Refinement: under the protocol alphabet every explored Xen-level transition is one core step
// or none; the known gaps between Xen and the core show up, by name, outside that alphabet.
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import { coreModel } from '../../../src/core/index.ts';
import {
  abstractToCore,
  coreConfigFor,
  coreFrameOf,
  RefinementCheck,
} from '../../../src/refinement/index.ts';
import { GNTMAP_host_map } from '../../../src/xen/abi.ts';
import type { XenBounds, XenState } from '../../../src/xenExplore/index.ts';
import { xenModel } from '../../../src/xenExplore/index.ts';

const protocol: XenBounds = { domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' };
const full: XenBounds = { ...protocol, alphabet: 'full' };

function run(
  bounds: XenBounds,
  ops: readonly Op[],
): { model: ReturnType<typeof xenModel>; states: XenState[] } {
  const model = xenModel(bounds);
  const states = [model.initial()];
  for (const op of ops) {
    const last = states[states.length - 1] ?? model.initial();
    states.push(model.step(last, op) ?? last);
  }
  return { model, states };
}

describe('refinement: Xen-level model to core model', () => {
  it('core frame numbering starts every frame owned by frame mod domains', () => {
    const b: XenBounds = { ...protocol, pages: 2 };
    const m = xenModel(b);
    const a = abstractToCore(b, m.initial());
    if (!a.ok) throw new Error(a.problem);
    expect(a.state.owner).toEqual([0, 1, 0, 1]);
    expect(coreFrameOf(b, 0x100)).toBe(0);
    expect(coreFrameOf(b, 0x102)).toBe(1);
  });

  // Larger configs (pages 2: 51684 states; maxPin 2: 48537 states) hold too; 10 s each.
  for (const bounds of [protocol]) {
    it(`${xenModel(bounds).name}: every transition is one core step or none`, () => {
      const m = xenModel(bounds);
      const r = new RefinementCheck(m);
      const o = explore(m, { symmetry: true, onTransition: r.check });
      expect(o.kind).toBe('ok');
      const st = r.stats();
      expect(st.checked).toBe(o.stats.transitions);
      // Every core action is exercised, so the check is not vacuous.
      expect(Object.keys(st.byCoreAction).sort()).toEqual([
        'end_access',
        'end_transfer',
        'grant_access',
        'grant_transfer',
        'map',
        'transfer',
        'unmap',
      ]);
    });
  }
});

describe('refinement: the base case and the core invariants', () => {
  const grantAndMap: Op[] = [
    { kind: 'grant_access', dom: 1, ref: 8, grantee: 0, gfn: 0, readonly: false },
    {
      kind: 'map_grant_ref',
      caller: 0,
      batch: [{ dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 }],
    },
  ];

  it("an initial state that is not the core's is refused", () => {
    const { model, states } = run(protocol, grantAndMap);
    const granted = states[1];
    if (!granted) throw new Error('states');
    expect(() => new RefinementCheck({ ...model, initial: () => granted })).toThrow(
      /refinement: the initial state maps to .*, not the core's own/,
    );
    expect(
      () => new RefinementCheck(xenModel({ ...protocol, domains: 3, refs: 2, pages: 2 })),
    ).toThrow(/needs 55 bits per state; packed states hold 53/);
  });

  it("a transition that is a core step of another domain than the op's is a refinement failure", () => {
    const { model, states } = run(protocol, grantAndMap);
    const [s0, granted] = states;
    if (!s0 || !granted) throw new Error('states');
    const r = new RefinementCheck(model);
    // d1's grant, taken as if d0's op had made it
    const byD0: Op = { kind: 'query_size', caller: 0, dom: 0 };
    expect(r.check(s0, byD0, granted)?.statement).toMatch(
      /: maps to grant_access\(d1, ref0, g0, f1, rw\), a step of d1$/,
    );
    expect(r.check(s0, grantAndMap[0] as Op, granted)).toBeNull();
  });

  it('a core step into a state that breaks a core invariant is a refinement failure', () => {
    // The correct core's invariants hold wherever its steps go; a core with one more invariant,
    // broken where the map lands, shows that each state reached is checked against them.
    const { model, states } = run(protocol, grantAndMap);
    const [, granted, mapped] = states;
    if (!granted || !mapped) throw new Error('states');
    const map = grantAndMap[1] as Op;
    const core = coreModel(coreConfigFor(protocol));
    const target = new RefinementCheck(model).coreOf(mapped);
    const unmapped = {
      name: 'never-mapped',
      statement: 'nothing is mapped',
      holds: (s: number) => s !== target,
    };
    const r = new RefinementCheck(model, { ...core, invariants: [...core.invariants, unmapped] });
    expect(r.check(granted, map, mapped)).toEqual({
      name: 'refinement',
      statement: expect.stringMatching(/: the core invariant never-mapped breaks in /),
    });
    expect(new RefinementCheck(model).check(granted, map, mapped)).toBeNull();
  });

  it("a search's failing transition is counted once, though the explorer checks it again", () => {
    // The same broken core, searched: the explorer replays the failing map to build its path,
    // which the check must not count a second time.
    const { model, states } = run(protocol, grantAndMap);
    const target = new RefinementCheck(model).coreOf(states[2] ?? model.initial());
    const core = coreModel(coreConfigFor(protocol));
    const unmapped = { name: 'never-mapped', statement: '', holds: (s: number) => s !== target };
    const r = new RefinementCheck(model, { ...core, invariants: [...core.invariants, unmapped] });
    const o = explore(model, { symmetry: true, onTransition: r.check });
    if (o.kind !== 'violation') throw new Error(o.kind);
    expect(o.path).toEqual(grantAndMap);
    expect(o.stats.transitions).toBe(159);
    const st = r.stats();
    expect(st).toEqual({
      checked: 159,
      stutters: 117,
      // the failing map among them: it maps to a core map, into a state that breaks the invariant
      byCoreAction: {
        grant_access: 14,
        grant_transfer: 14,
        end_access: 3,
        map: 7,
        end_transfer: 2,
        transfer: 2,
      },
    });
  });
});

describe('refinement: the gaps outside the protocol alphabet (findings)', () => {
  it('the full alphabet breaks refinement at once: Xen accepts a self-grant, the core does not', () => {
    const m = xenModel(full);
    const r = new RefinementCheck(m);
    const o = explore(m, { symmetry: true, onTransition: r.check });
    if (o.kind !== 'violation') throw new Error(o.kind);
    expect(o.path).toEqual([
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 0, gfn: 0, readonly: false },
    ]);
    // the first transition fails, counted once (the explorer's replay of it is not)
    expect(r.stats()).toEqual({ checked: 1, stutters: 0, byCoreAction: {} });
  });

  it('Xen transfers a granted but unmapped page; the access entry then names no page', () => {
    const { model, states } = run(full, [
      { kind: 'grant_access', dom: 1, ref: 8, grantee: 0, gfn: 0, readonly: false },
      { kind: 'grant_transfer', dom: 0, ref: 8, grantee: 1, gfn: 1 },
      { kind: 'transfer', caller: 1, batch: [{ gfn: 0, domid: 0, ref: 8 }] },
    ]);
    const r = new RefinementCheck(model);
    const [, s1, s2, s3] = states;
    if (!s1 || !s2 || !s3) throw new Error('states');
    expect(r.coreStep(s1, s2)).toMatchObject({ action: { kind: 'grant_transfer' } });
    expect(r.coreStep(s2, s3)).toMatch(
      /abstraction undefined after: d1 ref 8: access entry for gfn 0, which has no page/,
    );
  });

  it('a transfer into an entry that was never offered frees the page: no core state has it', () => {
    const { model, states } = run(full, [
      { kind: 'transfer', caller: 1, batch: [{ gfn: 0, domid: 0, ref: 8 }] },
    ]);
    const r = new RefinementCheck(model);
    const [s0, s1] = states;
    if (!s0 || !s1) throw new Error('states');
    expect(r.coreStep(s0, s1)).toMatch(/page 0x101 has no owner/);
  });

  it('re-granting a completed transfer before collecting it skips the core end_transfer', () => {
    const { model, states } = run(full, [
      { kind: 'grant_transfer', dom: 0, ref: 8, grantee: 1, gfn: 1 },
      { kind: 'transfer', caller: 1, batch: [{ gfn: 0, domid: 0, ref: 8 }] },
      { kind: 'grant_transfer', dom: 0, ref: 8, grantee: 1, gfn: 1 },
    ]);
    const r = new RefinementCheck(model);
    const [, , s2, s3] = states;
    if (!s2 || !s3) throw new Error('states');
    expect(r.coreStep(s2, s3)).toMatch(/transfer-done.*which is no core step/);
  });
});
