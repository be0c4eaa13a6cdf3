// The step memo (src/xenExplore/stepMemo.ts) changes no search: with and without it, the same
// states, transitions and verdicts, over the pinned configurations, and against every catalogued
// fault in conformance mode (the same counterexample, step for step); and each child it answers
// is, transition by transition, the state the model's own step makes.
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/bfs.ts';
import type { ExploreOptions } from '../../../src/explore/options.ts';
import type { ExploreOutcome } from '../../../src/explore/outcome.ts';
import { FAULTS, faultSubject } from '../../../src/faults/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import { formatOp } from '../../../src/ops/text.ts';
import type { XenBounds, XenModelOptions, XenState } from '../../../src/xenExplore/index.ts';
import { DEFAULT_XEN_BOUNDS, XenConformance, xenModel } from '../../../src/xenExplore/index.ts';
import { XEN_PRESETS } from '../../../src/xenExplore/bounds.ts';
import { PendingNode, XenNode } from '../../../src/xenExplore/state.ts';
import { opFootprint } from '../../../src/xenExplore/footprint.ts';
import { canonicalState } from '../../../src/xenExplore/handles.ts';
import { RESULT_SAME, StepMemo } from '../../../src/xenExplore/stepMemo.ts';
import { GNTMAP_host_map } from '../../../src/xen/abi.ts';
import { diffStates, statesEqual, step as modelStep } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import { DOMAIN_PARTS, StateKeyPacker } from '../../../src/model/packedKey.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { xb } from './bounds.ts';

/** What a search decided: its counts and verdict, and the counterexample's ops. */
function verdict(o: ExploreOutcome<XenState, Op>): unknown {
  const { states, transitions, maxDepth } = o.stats;
  return {
    kind: o.kind,
    states,
    transitions,
    maxDepth,
    ...(o.kind === 'violation' ? { violated: o.violated, path: o.path.map(formatOp) } : {}),
    ...(o.kind === 'limit' ? { bound: o.bound, depth: o.depth } : {}),
  };
}

function both(
  bounds: XenBounds,
  options: XenModelOptions,
  search: ExploreOptions<XenState, Op>,
  conformance?: Omit<ConstructorParameters<typeof XenConformance>[1], 'invariants'>,
): [unknown, unknown] {
  const run = (stepMemo: boolean) => {
    const m = xenModel(bounds, { invariants: INVARIANTS, ...options, stepMemo });
    const c = conformance
      ? new XenConformance(m, { invariants: INVARIANTS, ...conformance })
      : undefined;
    return verdict(
      explore(m, { symmetry: true, ...search, ...(c ? { onTransition: c.check } : {}) }),
    );
  };
  return [run(true), run(false)];
}

describe('a PendingNode', () => {
  it('builds its model state once, when first read', () => {
    const m = xenModel({ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' });
    let built = 0;
    const node = new PendingNode(() => (built++, m.initial().model), 3);
    expect(built).toBe(0);
    expect(node.collected).toBe(3);
    expect(node.model).toBe(m.initial().model);
    expect(node.model).toBe(m.initial().model);
    expect(built).toBe(1);
  });
});

describe("lastResult settles the memo's child", () => {
  // Conformance asks for a memo step's result (lastResult re-runs the model's step) before it
  // reads the child's state: that step's state settles the PendingNode, which then never runs
  // its own. Every transition of 300 states: the child's state and the result are the model's.
  it('full D2 R1 P1 M1, 300 states: the same states and results as the model step', () => {
    const m = xenModel({ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' });
    let settled = 0;
    let checked = 0;
    const onTransition = (s: XenState, a: Op, t: XenState): null => {
      const made = modelStep(s.model, a);
      const pending = t instanceof PendingNode && t.pending;
      expect(m.lastResult(s, a)).toEqual(made.result);
      if (pending && !(t as PendingNode).pending) settled++;
      expect(t.model).toEqual(made.state);
      checked++;
      return null;
    };
    explore(m, { symmetry: true, maxStates: 300, onTransition });
    expect(checked).toBeGreaterThan(1000);
    expect(settled).toBeGreaterThan(checked / 10);
  });

  it('a settled node keeps the state it was given, and a made one its own', () => {
    const m = xenModel({ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' });
    let built = 0;
    const s0 = m.initial().model;
    const node = new PendingNode(() => (built++, s0), 0);
    const other = { ...s0 };
    node.settle(other);
    expect(node.pending).toBe(false);
    expect(node.model).toBe(other);
    node.settle(s0);
    expect(node.model).toBe(other);
    expect(built).toBe(0);
  });
});

describe("the step memo's children decode to the model's steps", () => {
  /**
   * Search `bounds` (`options`, `search`) and check every transition: the child's key (the one
   * the memo made without a step, when it answered) decodes (fromKey) to the state a model
   * without the memo steps to from the same parent, up to handle renaming under symmetry, with
   * the same collected-transfer ghost. Why more than `both`? A wrong entry whose child the
   * search reaches by another path as well changes no count, and a count that does change says
   * nothing of where. Returns the transitions, those the memo answered, and those of them of two
   * domains (a map of another domain's grant).
   */
  function memoAgainstSteps(
    bounds: XenBounds,
    options: XenModelOptions,
    search: ExploreOptions<XenState, Op>,
  ): { transitions: number; answered: number; pairs: number } {
    const m = xenModel(bounds, options);
    const plain = xenModel(bounds, { ...options, stepMemo: false });
    const canonical = search.symmetry ?? true;
    const form = canonical ? canonicalState : (s: ModelState) => s;
    let hits = 0;
    let pairs = 0;
    const onTransition = (s: XenState, a: Op, t: XenState, ctx: { parentIndex: number }) => {
      const hit = m.memoHits() > hits;
      hits = m.memoHits();
      if (hit && opFootprint(a, bounds.domains)?.other !== undefined) pairs++;
      const k = t === s ? -1 : canonical ? m.canonicalKey(t) : m.key(t);
      const child = k < 0 ? s : m.fromKey(k, m.aux(t), canonical);
      const made = plain.step(new XenNode(s.model, s.collected), a) ?? s;
      const by = hit ? 'the memo' : 'a step';
      const what = `${formatOp(a)} from state ${ctx.parentIndex}, by ${by}`;
      if (!statesEqual(child.model, made.model)) {
        const [got, want] = [form(child.model), form(made.model)];
        const diff = statesEqual(got, want) ? [] : diffStates(got, want);
        expect(diff, `${what}: decoded → model`).toEqual([]);
      }
      expect(child.collected, `${what}: collected`).toBe(made.collected);
      return null;
    };
    const o = explore(m, { symmetry: true, ...search, onTransition });
    return { transitions: o.stats.transitions, answered: hits, pairs };
  }

  // The pinned configurations above, cut at 1 000 or 2 000 states: the check costs about 50 us
  // a transition, and the memo's first wrong answers come within a few hundred states.
  it.each([
    ['protocol D2 R1 P1 M1, 1 000 states', xb(2, 'protocol'), {}, { maxStates: 1_000 }],
    ['full D2 R1 P1 M1, 2 000 states', xb(2, 'full'), {}, { maxStates: 2_000 }],
    ['full D2, no symmetry, to depth 3', xb(2, 'full'), {}, { maxDepth: 3, symmetry: false }],
    [
      'full D2 R1 P1 M1, deaths, grants, maps and destroys only, 2 000 states',
      xb(2, 'full'),
      { extensions: ['deaths'], opKinds: ['grant_access', 'map_grant_ref', 'destroy_domain'] },
      { maxStates: 2_000 },
    ],
    [
      'full D2 R1 P2 M2 --batch 2, copies, hostile writes, deaths, 1 000 states',
      { ...xb(2, 'full'), pages: 2, maxPin: 2, batch: 2 },
      { extensions: ['copies', 'hostile_writes', 'deaths'] },
      { maxStates: 1_000 },
    ],
    [
      'the basic preset at D3, 2 000 states',
      { ...XEN_PRESETS.basic.bounds, domains: 3 },
      { opKinds: XEN_PRESETS.basic.kinds, pteMaps: false },
      { maxStates: 2_000 },
    ],
  ] as const)('%s', (_name, bounds, options, search) => {
    const n = memoAgainstSteps(bounds, options, search);
    expect(n.answered).toBeGreaterThan(n.transitions / 10);
    expect(n.pairs > 0).toBe(bounds.domains > 2); // two-domain entries only at D >= 3
  });
});

describe('the step memo answers most steps', () => {
  it('full D2 R1 P1 M1 to depth 4: over 40% of the transitions', () => {
    const m = xenModel({ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' });
    const o = explore(m, { symmetry: true, maxDepth: 4 });
    expect(m.memoHits()).toBeGreaterThan(o.stats.transitions * 0.4);
    const off = xenModel(m.bounds, { stepMemo: false });
    explore(off, { symmetry: true, maxDepth: 4 });
    expect(off.memoHits()).toBe(0);
  });
});

describe('the step memo answers maps of another domain at D3', () => {
  // A map of another domain's grant reads and changes two domains (src/xenExplore/footprint.ts):
  // at D3 the third domain varies on its own, so (op, both ids, owners) repeats.
  it('the basic preset at D3 with the quotients, 20 000 states: over half of them', () => {
    const m = xenModel(
      { ...XEN_PRESETS.basic.bounds, domains: 3 },
      { opKinds: XEN_PRESETS.basic.kinds, pteMaps: false, quotients: true },
    );
    let maps = 0;
    let answered = 0;
    const step = m.step;
    explore(
      {
        ...m,
        step: (s, a) => {
          const hits = m.memoHits();
          const t = step(s, a);
          if (a.kind === 'map_grant_ref' && a.batch.some((e) => e.dom !== a.caller && e.dom < 3)) {
            maps++;
            if (m.memoHits() > hits) answered++;
          }
          return t;
        },
      },
      { symmetry: true, maxStates: 20_000 },
    );
    expect(maps).toBeGreaterThan(50_000);
    expect(answered).toBeGreaterThan(maps / 2);
  });
});

describe("the step memo's two-domain table", () => {
  const map = (caller: number, dom: number): Op => ({
    kind: 'map_grant_ref',
    caller,
    batch: [{ dom, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 }],
  });
  const ops = [map(0, 1), map(2, 0), map(1, 1)];

  it('codes a map of another domain as a pair at D3, not at D2', () => {
    const memo = new StepMemo(ops, 3);
    const code = memo.code(ops[1] as Op);
    expect([StepMemo.domain(code), StepMemo.other(code)]).toEqual([2, 0]);
    expect(StepMemo.other(memo.code(ops[2] as Op))).toBe(-1);
    expect(new StepMemo(ops, 2).code(ops[0] as Op)).toBe(-1);
  });

  it('numbers views of the parts a map of another domain reads', () => {
    const memo = new StepMemo(ops, 3);
    const code = memo.code(ops[0] as Op);
    const { p2m, maptrack, host, entries, active } = DOMAIN_PARTS;
    expect(memo.pairParts(code, false)).toEqual([p2m, maptrack, host]);
    expect(memo.pairParts(code, true)).toEqual([p2m, entries, active]);
    // a state's view, and its domain back from it; another domain's view differs
    const packer = new StateKeyPacker(3);
    const s0 = xenModel({ ...DEFAULT_XEN_BOUNDS, domains: 3 }).initial().model;
    const ids = packer.ids(s0, 0);
    const v = memo.viewOf(packer, code, false, ids, 0);
    expect(memo.viewOf(packer, code, false, ids, 0)).toBe(v);
    expect(memo.viewOf(packer, code, false, ids, 1)).not.toBe(v);
    expect(memo.withView(packer, code, false, ids, 0, v)).toBe(StateKeyPacker.domainId(ids, 0));
    // a successor that changed a part the granter's view holds, or one it does not
    const slots = Object.keys(DOMAIN_PARTS).length;
    const granterAt = packer.vectorLength - 2 * slots; // domain 1 of 3
    for (const slot of [active, maptrack]) {
      expect(ids[granterAt + slot]).toBe(packer.domainPart(ids, 1, slot));
    }
    const withPart = (slot: number): number[] =>
      ids.map((id, k) => (k === granterAt + slot ? id + 1 : id));
    expect(memo.onlyViewChanged(packer, code, ids, withPart(active), 0, 1)).toBe(true);
    expect(memo.onlyViewChanged(packer, code, ids, withPart(maptrack), 0, 1)).toBe(false);
    // the parent's view is kept until the next parent
    expect(memo.parentView(packer, code, false, ids, 0)).toBe(v);
    expect(memo.parentView(packer, code, false, ids, 1)).toBe(v); // kept, not recomputed
    memo.parent();
    expect(memo.parentView(packer, code, false, ids, 1)).not.toBe(v);
  });

  it('keeps entries by views and owners, refuses, and empties itself when full', () => {
    const memo = new StepMemo(ops, 3, 100);
    const code = memo.code(ops[0] as Op);
    memo.setPair(code, 5, 7, 1, 6, 8, RESULT_SAME);
    const e = memo.pairEntry(code, 5, 7, 1);
    expect(e).toBeGreaterThanOrEqual(0);
    expect([memo.pairFirstChild(e), memo.pairSecondChild(e), memo.pairFlags(e)]).toEqual([
      6,
      8,
      RESULT_SAME,
    ]);
    expect(memo.pairRefused(e)).toBe(false);
    expect(memo.pairEntry(code, 5, 7, 2)).toBe(-1); // other owners
    memo.setPair(code, 5, 7, 2, -1, -1, 0);
    expect(memo.pairRefused(memo.pairEntry(code, 5, 7, 2))).toBe(true);
    // 98 more owners ids fill it; the next empties it first
    for (let o = 3; o <= 100; o++) memo.setPair(code, 5, 7, o, 5, 7, 0);
    expect(memo.pairEntries).toBe(100);
    expect(memo.pairEntry(code, 5, 7, 1)).toBeGreaterThanOrEqual(0);
    memo.setPair(code, 5, 7, 101, 5, 7, 0);
    expect(memo.pairEntries).toBe(1);
    expect(memo.pairEntry(code, 5, 7, 1)).toBe(-1);
    expect(memo.pairSecondChild(memo.pairEntry(code, 5, 7, 101))).toBe(7);
  });

  it('keeps at most 1024 entries, or eight per parent, however large its bound', () => {
    const memo = new StepMemo(ops, 3);
    const code = memo.code(ops[0] as Op);
    const fill = (from: number, count: number): void => {
      for (let o = from; o < from + count; o++) memo.setPair(code, 5, 7, o, 5, 7, 0);
    };
    memo.parent();
    fill(0, 1024);
    expect(memo.pairEntries).toBe(1024);
    fill(1024, 1); // past the floor, two parents in: emptied
    expect(memo.pairEntries).toBe(1);
    for (let p = 0; p < 200; p++) memo.parent(); // 202 parents: room for 1616
    fill(2000, 1615);
    expect(memo.pairEntries).toBe(1616);
    fill(4000, 1);
    expect(memo.pairEntries).toBe(1);
  });
});

describe('the step memo changes no search', () => {
  it.each([
    ['protocol D2 R1 P1 M1, whole', xb(2, 'protocol'), {}, {}],
    ['full D2 R1 P1 M1 to depth 4', xb(2, 'full'), {}, { maxDepth: 4 }],
    ['full D3 R1 P1 M1 to depth 3', xb(3, 'full'), {}, { maxDepth: 3 }],
    [
      'full D2 R1 P2 M2 --batch 2, copies, hostile writes, deaths, 3 000 states',
      { ...xb(2, 'full'), pages: 2, maxPin: 2, batch: 2 },
      { extensions: ['copies', 'hostile_writes', 'deaths'] },
      { maxStates: 3_000 },
    ],
    [
      'the corners preset (bursts, overflow maps, slack 0), whole',
      XEN_PRESETS.corners.bounds,
      { ...XEN_PRESETS.corners.extras, opKinds: XEN_PRESETS.corners.kinds },
      {},
    ],
    ['full D2, no symmetry, to depth 3', xb(2, 'full'), {}, { maxDepth: 3, symmetry: false }],
    // A map that overwrites a PTE holding a zombie's last page reaps the zombie: a step of two
    // domains that is one in a live state (why the memo answers only while no domain is dead).
    // Wider searches with deaths reach such a map only past a few thousand states.
    [
      'full D2 R1 P1 M1, deaths, grants, maps and destroys only, whole',
      xb(2, 'full'),
      { extensions: ['deaths'], opKinds: ['grant_access', 'map_grant_ref', 'destroy_domain'] },
      {},
    ],
    // Two-domain entries (maps of another domain's grants), which the memo keeps only at D >= 3
    [
      'the basic preset at D3 to depth 3',
      { ...XEN_PRESETS.basic.bounds, domains: 3 },
      { opKinds: XEN_PRESETS.basic.kinds, pteMaps: false },
      { maxDepth: 3 },
    ],
    [
      'the basic preset at D3 with the quotients, 20 000 states',
      { ...XEN_PRESETS.basic.bounds, domains: 3 },
      { opKinds: XEN_PRESETS.basic.kinds, pteMaps: false, quotients: true },
      { maxStates: 20_000 },
    ],
    [
      'protocol D3 R1 P1 M1, grant_access and maps only, with the quotients, whole',
      xb(3, 'protocol'),
      { opKinds: ['grant_access', 'map_grant_ref'], quotients: true },
      {},
    ],
    [
      'full D3 R1 P1 M2 --batch 2, copies, deaths, 5 000 states',
      { ...xb(3, 'full'), maxPin: 2, batch: 2 },
      { extensions: ['copies', 'deaths'] },
      { maxStates: 5_000 },
    ],
  ] as const)('%s', (_name, bounds, options, search) => {
    const [memo, plain] = both(bounds, options, search);
    expect(memo).toEqual(plain);
  });

  it('with conformance: the same states, transitions and no mismatch', () => {
    const [memo, plain] = both(
      xb(2, 'full'),
      {},
      { maxStates: 3_000 },
      { properties: STEP_PROPERTIES },
    );
    expect(memo).toEqual(plain);
    expect(memo).toMatchObject({ kind: 'limit', bound: 'states' });
  });

  // Each fault's own search (src/faults/explore.ts), cut at 800 states: the same
  // counterexample, or the same states searched.
  it.each(FAULTS.filter((f) => f.profile === undefined).map((f) => [f.id, f] as const))(
    'against fault %s',
    (_id, fault) => {
      const { kinds, ...extras } = fault.search;
      const [memo, plain] = both(
        DEFAULT_XEN_BOUNDS,
        { ...extras, opKinds: kinds, pteMaps: true },
        { maxStates: 800 },
        { properties: STEP_PROPERTIES, subject: faultSubject(fault) },
      );
      expect(memo).toEqual(plain);
    },
  );
});
