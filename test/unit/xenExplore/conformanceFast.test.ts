// Conformance's fast paths (src/xenExplore/conformance.ts: the restore as an undo, the shortcut
// for a step that left the subject as its snapshot saved it, the comparison against the parent's
// checked pair) change no verdict: each search gives the same states, transitions, verdict and
// counterexample as with `slow` (every transition from a fresh instance, compared in full), over
// pinned configurations and every catalogued fault; a planted wrong shortcut is caught.
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/bfs.ts';
import type { ExploreOptions } from '../../../src/explore/options.ts';
import type { ExploreOutcome } from '../../../src/explore/outcome.ts';
import { FAULTS, faultSubject } from '../../../src/faults/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import { formatOp } from '../../../src/ops/text.ts';
import { IMPL_SUBJECT } from '../../../src/subject/impl.ts';
import type { StateInvariant } from '../../../src/harness/invariant.ts';
import type { DomainState, ModelState } from '../../../src/model/state.ts';
import type { SubjectFactory } from '../../../src/subject/subject.ts';
import type { XenBounds, XenModelOptions, XenState } from '../../../src/xenExplore/index.ts';
import { DEFAULT_XEN_BOUNDS, XenConformance, xenModel } from '../../../src/xenExplore/index.ts';
import type { TransitionShard, XenExploreModel } from '../../../src/xenExplore/index.ts';
import { renameState } from '../../../src/xenExplore/handles.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { xb } from './bounds.ts';

/** What a search decided: its counts and verdict, the counterexample's ops, the mismatches. */
function verdict(o: ExploreOutcome<XenState, Op>, mismatches: number): unknown {
  const { states, transitions, maxDepth } = o.stats;
  return {
    kind: o.kind,
    states,
    transitions,
    maxDepth,
    mismatches,
    ...(o.kind === 'violation' ? { violated: o.violated, path: o.path.map(formatOp) } : {}),
    ...(o.kind === 'limit' ? { bound: o.bound, depth: o.depth } : {}),
  };
}

function search(
  bounds: XenBounds,
  options: XenModelOptions,
  limits: ExploreOptions<XenState, Op>,
  subject: SubjectFactory,
  slow: boolean,
): unknown {
  const m = xenModel(bounds, { invariants: INVARIANTS, ...options });
  const c = new XenConformance(m, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    subject,
    slow,
  });
  const o = explore(m, { symmetry: true, ...limits, onTransition: c.check });
  c.close();
  return verdict(o, c.stats().mismatches);
}

describe('conformance fast paths change no verdict', () => {
  it.each([
    ['protocol D2 R1 P1 M1, 800 states', xb(2, 'protocol'), {}, { maxStates: 800 }],
    ['full D2 R1 P1 M1 to depth 3', xb(2, 'full'), {}, { maxDepth: 3 }],
    [
      'full D2 R1 P2 M2 --batch 2, copies, hostile writes, deaths, 400 states',
      { ...xb(2, 'full'), pages: 2, maxPin: 2, batch: 2 },
      { extensions: ['copies', 'hostile_writes', 'deaths'] },
      { maxStates: 400 },
    ],
  ] as const)('%s', (_name, bounds, options, limits) => {
    const fast = search(bounds, options, limits, IMPL_SUBJECT, false);
    expect(fast).toEqual(search(bounds, options, limits, IMPL_SUBJECT, true));
    expect(fast).toMatchObject({ mismatches: 0 });
  });

  // Each fault's own search (src/faults/explore.ts), cut at 300 states: the same counterexample,
  // or the same states searched.
  it.each(FAULTS.filter((f) => f.profile === undefined).map((f) => [f.id, f] as const))(
    'against fault %s',
    (_id, fault) => {
      const { kinds, ...extras } = fault.search;
      const options = { ...extras, opKinds: kinds, pteMaps: true };
      const subject = faultSubject(fault);
      const limits = { maxStates: 300 };
      expect(search(DEFAULT_XEN_BOUNDS, options, limits, subject, false)).toEqual(
        search(DEFAULT_XEN_BOUNDS, options, limits, subject, true),
      );
    },
  );

  it('catches a planted shortcut: a subject that always claims to hold its snapshot', () => {
    const planted: SubjectFactory = {
      ...IMPL_SUBJECT,
      create: (config) => {
        const s = IMPL_SUBJECT.create(config);
        s.holds = () => true;
        return s;
      },
    };
    const bounds = xb(2, 'protocol');
    const limits = { maxStates: 300 };
    const fast = search(bounds, {}, limits, planted, false);
    expect(fast).not.toEqual(search(bounds, {}, limits, planted, true));
    expect(fast).toMatchObject({ kind: 'violation' });
  });
});

describe("conformance trusts the parent's pair only once it was found equal", () => {
  // A subject whose reported state differs from the model's from the start, in a part few ops
  // change (domain 1's p2m has one more page): the first transition's comparison must find it,
  // as the slow path does. The reported parts keep their identity while the impl's do (a cache
  // by the impl's objects), so a comparison that trusted an unequal pair at the initial state
  // (knownPair) would never look at that p2m again.
  const planted: SubjectFactory = {
    ...IMPL_SUBJECT,
    create: (config) => {
      const s = IMPL_SUBJECT.create(config);
      const state = s.state.bind(s);
      const p2ms = new WeakMap<object, ReadonlyMap<number, number>>();
      const domains = new WeakMap<DomainState, DomainState>();
      const altered = (d: DomainState): DomainState => {
        let p2m = p2ms.get(d.p2m);
        if (p2m === undefined) {
          p2m = new Map([...d.p2m, [0x99, 0x99]]);
          p2ms.set(d.p2m, p2m);
        }
        let a = domains.get(d);
        if (a === undefined) {
          a = { ...d, p2m };
          domains.set(d, a);
        }
        return a;
      };
      s.state = (): ModelState => {
        const m = state();
        return { ...m, domains: m.domains.map((d, i) => (i === 1 ? altered(d) : d)) };
      };
      return s;
    },
  };

  it('finds a subject that differs from the initial state at the first transition', () => {
    const bounds = xb(2, 'protocol');
    const limits = { maxStates: 300 };
    const fast = search(bounds, {}, limits, planted, false);
    expect(fast).toMatchObject({ kind: 'violation', path: [expect.any(String)] });
    expect(fast).toEqual(search(bounds, {}, limits, planted, true));
  });
});

describe("conformance renames ops into the subject's handles", () => {
  // The explorer expands the member of an orbit its key decodes to, whose maptrack handles need
  // not be the subject's (reached by the stored path): conformance renames each op into the
  // subject's numbering and each result back (`enter`'s toParent/fromParent). In the pinned
  // searches the two numberings almost never differ (2 parents in 10 000 at maxPin 2 with map
  // bursts), so here every expanded state is given its handles rotated by one, a member of its
  // orbit the subject never holds: the verdict must be the plain search's, with no mismatch. Why
  // a rotation, not a reversal? A reversal is its own inverse: a renaming applied the wrong way
  // round would pass.
  const rotated = (m: XenExploreModel): XenExploreModel => ({
    ...m,
    fromKey: (k, aux, canonical) => {
      const s = m.fromKey(k, aux, canonical);
      const r = s.model.domains.map((d) => {
        const n = d.maptrack.limit;
        return n > 2 ? Int32Array.from({ length: n }, (_, h) => (h + 1) % n) : null;
      });
      return { model: renameState(s.model, r), collected: s.collected };
    },
  });

  const run = (
    bounds: XenBounds,
    limits: ExploreOptions<XenState, Op>,
    rotate: boolean,
    shard?: TransitionShard,
  ) => {
    const plain = xenModel(bounds, { invariants: INVARIANTS });
    const m = rotate ? rotated(plain) : plain;
    const c = new XenConformance(m, {
      invariants: INVARIANTS,
      properties: STEP_PROPERTIES,
      ...(shard ? { shard } : {}),
    });
    const o = explore(m, { symmetry: true, ...limits, onTransition: c.check });
    c.close();
    return verdict(o, c.stats().mismatches);
  };

  it.each([
    ['protocol D2 R1 P1 M2, 600 states', { ...xb(2, 'protocol'), maxPin: 2 }],
    ['full D2 R1 P1 M2, 600 states', { ...xb(2, 'full'), maxPin: 2 }],
  ] as const)('%s: expanded with rotated handles, the same verdict', (_name, bounds) => {
    const limits = { maxStates: 600 };
    const fast = run(bounds, limits, true);
    expect(fast).toMatchObject({ kind: 'limit', mismatches: 0 });
    expect(fast).toEqual(run(bounds, limits, false));
    // In two shards, round robin (every shard applies the transitions it does not check, to keep
    // the states they find: `follow`), and split at 8 states.
    for (const splitStates of [undefined, 8]) {
      for (const index of [0, 1]) {
        const shard = { index, count: 2, ...(splitStates ? { splitStates } : {}) };
        expect(run(bounds, limits, true, shard)).toMatchObject({ kind: 'limit', mismatches: 0 });
      }
    }
  });
});

describe("conformance re-checks the subject's invariants after a step", () => {
  // An impl-side rule no model state breaks: it fails once some maptrack has a frame. Only the
  // re-check after the step that grows a maptrack can find it; a search that compared the
  // step's reads with themselves (or skipped the re-check) would call the search clean.
  const planted: StateInvariant = {
    name: 'planted-no-maptrack-frame',
    statement: 'no maptrack has a frame (planted: fails on the first map)',
    source: 'test',
    reads: ['maptrack'],
    onModel: () => null,
    onImpl: (view) =>
      view.domains.some((d) => d.maptrack.limit > 0) ? 'a maptrack has a frame' : null,
  };

  it('finds an impl-only violation at the same transition as the slow path', () => {
    const bounds = xb(2, 'protocol');
    const run = (slow: boolean) => {
      const m = xenModel(bounds, { invariants: INVARIANTS });
      const c = new XenConformance(m, {
        invariants: [...INVARIANTS, planted],
        properties: STEP_PROPERTIES,
        slow,
      });
      const o = explore(m, { symmetry: true, maxStates: 300, onTransition: c.check });
      c.close();
      return verdict(o, c.stats().mismatches);
    };
    const fast = run(false);
    expect(fast).toMatchObject({
      kind: 'violation',
      violated: { source: 'transition', name: expect.stringContaining(planted.name) },
    });
    expect(fast).toEqual(run(true));
  });
});

describe('conformance statistics', () => {
  it("estimates the snapshots' bytes from a sample: their tables as used, not whole frames", () => {
    const m = xenModel(xb(2, 'protocol'), { invariants: INVARIANTS });
    const c = new XenConformance(m, { invariants: INVARIANTS, properties: STEP_PROPERTIES });
    explore(m, { symmetry: true, onTransition: c.check });
    c.close();
    const { peakSnapshots, peakSnapshotBytes } = c.stats();
    expect(peakSnapshots).toBeGreaterThan(1000);
    const mean = peakSnapshotBytes / peakSnapshots;
    // a grant frame alone is 4 KiB; two domains' tables, saved as used, are a few hundred bytes
    expect(mean).toBeGreaterThan(16);
    expect(mean).toBeLessThan(1024);
  });
});
