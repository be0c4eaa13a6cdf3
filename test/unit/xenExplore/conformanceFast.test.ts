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
import type { SubjectFactory } from '../../../src/subject/subject.ts';
import type { XenBounds, XenModelOptions, XenState } from '../../../src/xenExplore/index.ts';
import { DEFAULT_XEN_BOUNDS, XenConformance, xenModel } from '../../../src/xenExplore/index.ts';
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
