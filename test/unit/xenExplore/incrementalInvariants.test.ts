// The model's incremental invariant checks (src/xenExplore/model.ts, `incrementalInvariants`):
// re-checking only what a step changed, against the parent the search stored, and keeping each
// domain's per-domain verdicts by its packed id, change no verdict. Every successor a search
// reaches is checked both ways (the fast `holds` and the invariant's whole `onModel`), with probe
// invariants that fail on many states; two planted wrong ones (a wrong `reads`, a per-domain check
// that tells apart states its key does not) show the comparison catches a wrong shortcut.
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/bfs.ts';
import type { ExploreOptions } from '../../../src/explore/options.ts';
import type { ExploreOutcome } from '../../../src/explore/outcome.ts';
import type { StateInvariant } from '../../../src/harness/invariant.ts';
import { domainInvariant } from '../../../src/harness/invariant.ts';
import type { Op } from '../../../src/ops/op.ts';
import { formatOp } from '../../../src/ops/text.ts';
import type { XenBounds, XenModelOptions, XenState } from '../../../src/xenExplore/index.ts';
import { xenModel } from '../../../src/xenExplore/index.ts';
import { XEN_PRESETS } from '../../../src/xenExplore/bounds.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';

const xb = (domains: number, alphabet: 'protocol' | 'full', refs = 1): XenBounds => ({
  domains,
  refs,
  pages: 1,
  maxPin: 1,
  alphabet,
});

const never = (): null => null;
const fail = (b: boolean): string | null => (b ? 'probe' : null);

/** Probes: invariants with honest `reads` that fail on many reachable states. */
const PROBES: StateInvariant[] = [
  domainInvariant({
    name: 'probe-no-live-mapping',
    statement: 'no domain holds a mapping',
    source: 'test',
    reads: ['maptrack'],
    perDomain: { onModel: (d) => fail(d.maptrack.mappings.size > 0), onImpl: never },
  }),
  domainInvariant({
    name: 'probe-no-pin',
    statement: 'no active entry',
    source: 'test',
    reads: ['active'],
    perDomain: { onModel: (d) => fail(d.grantTable.active.size > 0), onImpl: never },
  }),
  {
    name: 'probe-parity',
    statement: 'the frames domain 0 owns and the live mappings are even in number',
    source: 'test',
    reads: ['frames', 'maptrack'],
    onModel: (s) => {
      let n = 0;
      for (const dom of s.frameOwner.values()) if (dom === 0) n++;
      for (const d of s.domains) n += d.maptrack.mappings.size;
      return fail(n % 2 === 1);
    },
    onImpl: never,
  },
];

/** A probe whose `reads` leave out what it reads (the maptrack): the parent shortcut skips it
 * wrongly. */
const WRONG_READS = domainInvariant({
  name: 'planted-wrong-reads',
  statement: 'no domain holds a mapping (declared as reading the p2m)',
  source: 'test',
  reads: ['p2m'],
  perDomain: { onModel: (d) => fail(d.maptrack.mappings.size > 0), onImpl: never },
});

/** A per-domain probe that reads handle numbers, which orbit keys leave out: the domain cache
 * answers for a renamed maptrack what its first member said. */
const NOT_SYMMETRIC = domainInvariant({
  name: 'planted-reads-handle-numbers',
  statement: 'a domain that holds a mapping holds one at handle 0',
  source: 'test',
  reads: ['maptrack'],
  perDomain: {
    onModel: (d) => fail(d.maptrack.mappings.size > 0 && !d.maptrack.mappings.has(0)),
    onImpl: never,
  },
});

/** Search `bounds` with INVARIANTS (what the search checks) and `probes` (checked on every
 * successor of a state that passes them, both ways, fast and whole); how many checks were made,
 * failed and disagreed. */
function compare(
  bounds: XenBounds,
  options: XenModelOptions,
  search: ExploreOptions<XenState, Op>,
  probes: readonly StateInvariant[],
): { disagreements: number; checks: number; failures: number } {
  const m = xenModel(bounds, { ...options, invariants: [...INVARIANTS, ...probes] });
  const searched = { ...m, invariants: m.invariants.slice(0, INVARIANTS.length) };
  const fast = m.invariants.slice(INVARIANTS.length);
  let disagreements = 0;
  let checks = 0;
  let failures = 0;
  explore(searched, {
    ...search,
    onTransition: (s, _a, t) => {
      if (search.symmetry === false) m.key(t);
      else m.canonicalKey(t); // keyed as the search keys it, before the checks read the key
      for (let v = 0; v < probes.length; v++) {
        const probe = probes[v] as StateInvariant;
        // The contract: a new state's parent passed the invariant (the search stops otherwise).
        if (probe.onModel(s.model) !== null) continue;
        const whole = probe.onModel(t.model) === null;
        const quick = (fast[v] as (typeof fast)[number]).holds(t);
        checks++;
        if (!whole) failures++;
        if (whole !== quick) disagreements++;
      }
      return null;
    },
  });
  return { disagreements, checks, failures };
}

describe('incremental invariant checks agree with whole checks', () => {
  it.each([
    ['protocol D2 R1 P1 M1, whole', xb(2, 'protocol'), {}, {}],
    ['protocol D2 R1 P1 M1 with the quotients', xb(2, 'protocol'), { quotients: true }, {}],
    [
      'full D2 R1 P1 M1 with the quotients, 20 000 states',
      xb(2, 'full'),
      { quotients: true },
      {
        maxStates: 20_000,
      },
    ],
    ['full D3 R1 P1 M1 to depth 2', xb(3, 'full'), { quotients: true }, { maxDepth: 2 }],
    ['full D2, no symmetry, to depth 3', xb(2, 'full'), {}, { maxDepth: 3, symmetry: false }],
    [
      'full D2, no step memo, 5 000 states',
      xb(2, 'full'),
      { stepMemo: false },
      {
        maxStates: 5_000,
      },
    ],
    [
      'full D2 R1 P2 M2 --batch 2, copies, hostile writes, deaths, 3 000 states',
      { ...xb(2, 'full'), pages: 2, maxPin: 2, batch: 2 },
      { extensions: ['copies', 'hostile_writes', 'deaths'] },
      { maxStates: 3_000 },
    ],
  ] as const)('%s', (_name, bounds, options, search) => {
    const r = compare(bounds, options, { symmetry: true, ...search }, PROBES);
    expect(r.disagreements).toBe(0);
    // the probes fail on some successors and hold on others: both answers are exercised
    expect(r.failures).toBeGreaterThan(0);
    expect(r.checks - r.failures).toBeGreaterThan(r.failures);
  });

  it('catches a planted invariant whose reads are wrong', () => {
    const r = compare(xb(2, 'protocol'), {}, { symmetry: true }, [WRONG_READS]);
    expect(r.disagreements).toBeGreaterThan(0);
  });

  it('catches a planted per-domain check that is not invariant under its key', () => {
    const r = compare(xb(2, 'full'), { quotients: true }, { symmetry: true, maxStates: 5_000 }, [
      NOT_SYMMETRIC,
    ]);
    expect(r.disagreements).toBeGreaterThan(0);
  });
});

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

describe('searches with and without incremental invariants decide alike', () => {
  const both = (
    bounds: XenBounds,
    options: XenModelOptions,
    invariants: readonly StateInvariant[],
    search: ExploreOptions<XenState, Op>,
  ): [unknown, unknown] => {
    const run = (incrementalInvariants: boolean) =>
      verdict(
        explore(xenModel(bounds, { ...options, invariants, incrementalInvariants }), {
          symmetry: true,
          ...search,
        }),
      );
    return [run(true), run(false)];
  };

  it.each([
    ['protocol D2, the catalogue', xb(2, 'protocol'), {}, INVARIANTS, {}],
    [
      'full D2 to depth 4, the catalogue',
      xb(2, 'full'),
      { quotients: true },
      INVARIANTS,
      {
        maxDepth: 4,
      },
    ],
    [
      'the corners preset, the catalogue',
      XEN_PRESETS.corners.bounds,
      { ...XEN_PRESETS.corners.extras, opKinds: XEN_PRESETS.corners.kinds },
      INVARIANTS,
      {},
    ],
    // each probe stops its search at a violation: the same one, by the same path
    ...PROBES.map(
      (p) => [`protocol D2, ${p.name}`, xb(2, 'protocol'), {}, [...INVARIANTS, p], {}] as const,
    ),
    ...PROBES.map(
      (p) =>
        [
          `full D2 with the quotients, ${p.name}`,
          xb(2, 'full'),
          { quotients: true },
          [...INVARIANTS, p],
          {},
        ] as const,
    ),
  ] as const)('%s', (_name, bounds, options, invariants, search) => {
    const [fast, whole] = both(bounds, options, invariants, search);
    expect(fast).toEqual(whole);
  });
});
