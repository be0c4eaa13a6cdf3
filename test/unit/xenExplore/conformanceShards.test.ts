// Conformance split into shards (src/xenExplore/conformance.ts, `shard`): the shards of one
// search check every transition exactly once between them, and the lowest-parent violation
// among them is the whole search's, over pinned configurations and every catalogued fault.
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/bfs.ts';
import type { ExploreOptions } from '../../../src/explore/options.ts';
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
  let failedAt: number | undefined;
  const o = explore(m, {
    symmetry: true,
    ...limits,
    onTransition: (p, a, t, ctx) => {
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
      expect(
        shards.some((s, index) => [...s.checkedParents].some((p) => p % count !== index)),
      ).toBe(true);
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
    FAULTS.filter((f) => f.profile === undefined).flatMap((f) => [
      [f.id, 'round robin', f, undefined] as const,
      [f.id, 'split at 8 states', f, 8] as const,
    ]),
  )(
    'against fault %s (%s): the lowest failing shard gives the whole counterexample',
    (_id, _split, fault, splitStates) => {
      const { kinds, ...extras } = fault.search;
      const options = { ...extras, opKinds: kinds, pteMaps: true };
      const subject = faultSubject(fault);
      const limits = { maxStates: 300 };
      const whole = search(DEFAULT_XEN_BOUNDS, options, limits, subject);
      const shards = shardsOf(2, DEFAULT_XEN_BOUNDS, options, limits, subject, splitStates);
      expect(merged(shards)).toEqual(whole.violation);
      if (whole.failedAt !== undefined) {
        // one shard checked the failing parent, and failed there
        expect(shards.filter((s) => s.failedAt === whole.failedAt)).toHaveLength(1);
      }
    },
  );

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
