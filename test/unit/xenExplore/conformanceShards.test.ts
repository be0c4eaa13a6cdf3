// Conformance split into shards (src/xenExplore/conformance.ts, `shard`): the shards of one
// search check every transition exactly once between them, and the lowest-parent violation
// among them is the whole search's, over pinned configurations and every catalogued fault.
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/bfs.ts';
import type { ExploreOptions } from '../../../src/explore/options.ts';
import type { Fault } from '../../../src/faults/index.ts';
import { FAULTS, faultSubject } from '../../../src/faults/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import { formatOp } from '../../../src/ops/text.ts';
import { IMPL_SUBJECT } from '../../../src/subject/impl.ts';
import type { SubjectFactory } from '../../../src/subject/subject.ts';
import type {
  TransitionShard,
  XenBounds,
  XenModelOptions,
  XenState,
} from '../../../src/xenExplore/index.ts';
import { DEFAULT_XEN_BOUNDS, XenConformance, xenModel } from '../../../src/xenExplore/index.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { xb } from './bounds.ts';

interface ShardResult {
  readonly kind: string;
  readonly states: number;
  readonly transitions: number;
  readonly checked: number;
  /** Most subject snapshots the shard held at once. */
  readonly peakSnapshots: number;
  /** Parent indices whose transitions went through the full check. */
  readonly checkedParents: Set<number>;
  /** How many parents each depth had, from the root's on. */
  readonly levels: readonly number[];
  /** The failing transition's parent, and the counterexample. */
  readonly failedAt?: number;
  readonly violation?: { readonly name: string; readonly path: readonly string[] };
}

function search(
  bounds: XenBounds,
  options: XenModelOptions,
  limits: ExploreOptions<XenState, Op>,
  subject: SubjectFactory,
  shard?: TransitionShard,
): ShardResult {
  const m = xenModel(bounds, { invariants: INVARIANTS, ...options });
  const c = new XenConformance(m, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    subject,
    ...(shard ? { shard } : {}),
  });
  const checkedParents = new Set<number>();
  const levels: number[] = [];
  let lastParent = -1;
  let failedAt: number | undefined;
  const o = explore(m, {
    symmetry: true,
    ...limits,
    onTransition: (p, a, t, ctx) => {
      if (ctx.parentIndex !== lastParent) {
        lastParent = ctx.parentIndex;
        levels[ctx.depth] = (levels[ctx.depth] ?? 0) + 1;
      }
      const before = c.stats().checked;
      const failure = c.check(p, a, t, ctx);
      if (c.stats().checked > before) checkedParents.add(ctx.parentIndex);
      if (failure) failedAt = ctx.parentIndex;
      return failure;
    },
  });
  c.close();
  return {
    kind: o.kind,
    states: o.stats.states,
    transitions: o.stats.transitions,
    checked: c.stats().checked,
    peakSnapshots: c.stats().peakSnapshots,
    checkedParents,
    levels,
    ...(failedAt === undefined ? {} : { failedAt }),
    ...(o.kind === 'violation'
      ? { violation: { name: o.violated.name, path: o.path.map(formatOp) } }
      : {}),
  };
}

/** The whole search's verdict from its shards: the violation at the lowest parent, if any. */
function merged(shards: readonly ShardResult[]): ShardResult['violation'] {
  const failed = shards.filter((s) => s.failedAt !== undefined);
  failed.sort((a, b) => (a.failedAt ?? 0) - (b.failedAt ?? 0));
  return failed[0]?.violation;
}

function shardsOf(
  count: number,
  bounds: XenBounds,
  options: XenModelOptions,
  limits: ExploreOptions<XenState, Op>,
  subject: SubjectFactory,
  splitStates?: number,
): ShardResult[] {
  return Array.from({ length: count }, (_, index) =>
    search(bounds, options, limits, subject, {
      index,
      count,
      ...(splitStates === undefined ? {} : { splitStates }),
    }),
  );
}

/** Did some shard check a parent that round robin would have dealt to another? */
function dealtByFinder(shards: readonly ShardResult[]): boolean {
  return shards.some((s, index) => [...s.checkedParents].some((p) => p % shards.length !== index));
}

/** The index of the first parent whose shard is its finder, not round robin: the first of the
 * level after the first level of at least `splitStates` states (the split comes as that level
 * starts, and its own states were found, and dealt, before). */
function firstDealtByFinder(whole: ShardResult, splitStates: number): number {
  let first = 0;
  for (const n of whole.levels) {
    first += n;
    if (n >= splitStates) return first;
  }
  return Infinity;
}

/** Did the search check a parent whose shard is its finder (it failed there or later, or
 * stopped later)? */
function checkedPastSplit(whole: ShardResult, splitStates: number): boolean {
  const lastChecked = whole.failedAt ?? whole.levels.reduce((n, l) => n + l, 0) - 1;
  return lastChecked >= firstDealtByFinder(whole, splitStates);
}

/** The faults searched in conformance mode below (a profile's fault needs its guest library). */
const FAULTS_SEARCHED = FAULTS.filter((f) => f.profile === undefined);
/** The split level of the fault searches that are not round robin. */
const FAULT_SPLIT = 8;
const faultSearches = new Map<string, { whole: ShardResult; shards: ShardResult[] }>();

/** `fault`'s search (its kinds and extensions, the default bounds, 300 states) whole and in two
 * shards split at `splitStates` (undefined: round robin); each made once per test file. */
function faultSearch(
  fault: Fault,
  splitStates: number | undefined,
): { whole: ShardResult; shards: ShardResult[] } {
  const name = `${fault.id} ${splitStates ?? 'round robin'}`;
  let found = faultSearches.get(name);
  if (found === undefined) {
    const { kinds, ...extras } = fault.search;
    const options = { ...extras, opKinds: kinds, pteMaps: true };
    const subject = faultSubject(fault);
    const limits = { maxStates: 300 };
    found = {
      whole: search(DEFAULT_XEN_BOUNDS, options, limits, subject),
      shards: shardsOf(2, DEFAULT_XEN_BOUNDS, options, limits, subject, splitStates),
    };
    faultSearches.set(name, found);
  }
  return found;
}

/** Each shard explored the whole search's states, and between them they checked its
 * transitions: every parent by exactly one shard, every parent the whole search checked, each
 * transition once. */
function expectPartition(shards: readonly ShardResult[], whole: ShardResult): void {
  for (const s of shards) {
    expect([s.kind, s.states, s.transitions]).toEqual([
      whole.kind,
      whole.states,
      whole.transitions,
    ]);
  }
  expect(shards.reduce((n, s) => n + s.checked, 0)).toBe(whole.checked);
  const owners = new Map<number, number>();
  shards.forEach((s, index) => {
    for (const p of s.checkedParents) {
      expect(owners.get(p), `parent ${p}`).toBeUndefined();
      owners.set(p, index);
    }
  });
  expect(new Set(owners.keys())).toEqual(whole.checkedParents);
}

describe('conformance shards', () => {
  it.each([
    ['protocol D2 R1 P1 M1, 2 shards', 2, xb(2, 'protocol'), {}, {}],
    ['full D2 R1 P1 M1 to depth 3, 3 shards', 3, xb(2, 'full'), {}, { maxDepth: 3 }],
    [
      'full D2 R1 P2 M2 --batch 2, copies, hostile writes, deaths, 400 states, 2 shards',
      2,
      { ...xb(2, 'full'), pages: 2, maxPin: 2, batch: 2 },
      { extensions: ['copies', 'hostile_writes', 'deaths'] },
      { maxStates: 400 },
    ],
  ] as const)('%s: every transition checked exactly once', (_n, count, bounds, options, limits) => {
    const whole = search(bounds, options, limits, IMPL_SUBJECT);
    expect(whole.kind).not.toBe('violation');
    const shards = shardsOf(count, bounds, options, limits, IMPL_SUBJECT);
    expectPartition(shards, whole);
    // Below the split level (levels of 1 024 states per shard), round robin by parent index.
    shards.forEach((s, index) => {
      for (const p of s.checkedParents) expect(p % count).toBe(index);
    });
  });

  it.each([
    ['protocol D2 R1 P1 M1, 2 shards, split at 16 states', 2, xb(2, 'protocol'), {}, {}, 16],
    ['protocol D2 R1 P1 M1, 3 shards, split at 4 states', 3, xb(2, 'protocol'), {}, {}, 4],
    [
      'full D2 R1 P1 M1 to depth 3, 2 shards, split at 2 states',
      2,
      xb(2, 'full'),
      {},
      { maxDepth: 3 },
      2,
    ],
    ['protocol D2 R1 P1 M1, 2 shards, split at the root', 2, xb(2, 'protocol'), {}, {}, 0],
  ] as const)(
    '%s: every transition checked once, new states kept by the shard that found them',
    (_n, count, bounds, options, limits, splitStates) => {
      const whole = search(bounds, options, limits, IMPL_SUBJECT);
      const shards = shardsOf(count, bounds, options, limits, IMPL_SUBJECT, splitStates);
      expectPartition(shards, whole);
      // Past the split, parents are no longer dealt round robin, and each shard keeps only the
      // snapshots of its own states: fewer than the whole search's.
      expect(dealtByFinder(shards)).toBe(true);
      if (splitStates === 0) {
        // split at the root: the first shard owns the initial state, so every state after it,
        // and the second keeps no snapshot at all
        expect(shards.map((s) => [s.checked, s.peakSnapshots])).toEqual([
          [whole.checked, whole.peakSnapshots],
          [0, 0],
        ]);
      } else {
        for (const s of shards) expect(s.peakSnapshots).toBeLessThan(whole.peakSnapshots);
      }
    },
  );

  it.each(
    FAULTS_SEARCHED.flatMap((f) => [
      [f.id, 'round robin', f, undefined] as const,
      [f.id, `split at ${FAULT_SPLIT} states`, f, FAULT_SPLIT] as const,
    ]),
  )(
    'against fault %s (%s): the lowest failing shard gives the whole counterexample',
    (_id, _split, fault, splitStates) => {
      const { whole, shards } = faultSearch(fault, splitStates);
      expect(merged(shards)).toEqual(whole.violation);
      if (whole.failedAt !== undefined) {
        // one shard checked the failing parent, and failed there
        expect(shards.filter((s) => s.failedAt === whole.failedAt)).toHaveLength(1);
      }
      // A search that checked a parent past the split (before it failed, or stopped) got there
      // with the new states kept by their finders, not only round robin.
      if (splitStates !== undefined && checkedPastSplit(whole, splitStates)) {
        expect(dealtByFinder(shards)).toBe(true);
      }
    },
  );

  it(`the split at ${FAULT_SPLIT} states was past for most faults before they were found`, () => {
    // Not only faults found in the first levels, where the split changes nothing.
    const past = FAULTS_SEARCHED.filter((f) =>
      checkedPastSplit(faultSearch(f, FAULT_SPLIT).whole, FAULT_SPLIT),
    );
    expect(past.length).toBeGreaterThan(FAULTS_SEARCHED.length / 2);
  });

  it('a shard that does not follow the other parents cannot check its own', () => {
    // Without `follow`, the states found from the other shard's parents have no snapshot:
    // proof that the following is what makes a shard's restores possible.
    const m = xenModel(xb(2, 'protocol'), { invariants: INVARIANTS });
    const c = new XenConformance(m, {
      invariants: INVARIANTS,
      properties: STEP_PROPERTIES,
      shard: { index: 0, count: 2 },
    });
    expect(() =>
      explore(m, {
        symmetry: true,
        maxStates: 200,
        onTransition: (p, a, t, ctx) => (ctx.parentIndex % 2 === 0 ? c.check(p, a, t, ctx) : null),
      }),
    ).toThrow(/no impl snapshot/);
  });
});
