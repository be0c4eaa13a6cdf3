// The property suites, run as tests: every suite with pinned seeds plus one fresh, printed seed.
// The first pinned seed runs the full default budget, so the outcome-coverage requirement is
// enforced; the others run a shorter budget.
import { describe, expect, it } from 'vitest';
import { runSuite } from '../../src/harness/random.ts';
import { parseOp } from '../../src/ops/text.ts';
import { buildSuite, SUITE_NAMES } from '../../properties/suites.ts';
import { makeConfig } from '../../src/config.ts';
import { testSeeds } from '../support/seeds.ts';
import { explain } from '../support/suites.ts';

describe.each(SUITE_NAMES)('suite %s', (name) => {
  const suite = buildSuite(name);
  if (!suite) throw new Error(`no suite ${name}`);
  const [fullBudgetSeed, ...otherSeeds] = testSeeds(`suite ${name}`);
  it(`passes with full coverage on its default budget (seed ${fullBudgetSeed})`, () => {
    const outcome = runSuite(suite, { seed: fullBudgetSeed ?? 1 });
    expect(explain(outcome)).toBe('pass');
    expect(outcome.stats.runs).toBe(suite.defaultRuns);
  });
  for (const seed of otherSeeds) {
    it(`passes (seed ${seed}, 100 runs)`, () => {
      expect(explain(runSuite(suite, { seed, runs: 100 }))).toBe('pass');
    });
  }
});

// What a suite demands depends on its config: outcomes one domain cannot produce are not
// expected. fast-check's first runs do not depend on the budget, so coverage of every expected
// outcome within these runs means the default budget (`grantcheck run --domains N`) covers them.
describe.each([
  [1, 200],
  [2, 300], // seeds 1-10 need 100-300 runs (write_mapped:out_of_page is the last, a raw write's)
  [16, 600], // sixteen domains meet less often: maptrack exhaustion takes longer
])('with %i domain(s)', (domains, runs) => {
  const config = makeConfig({ domains });
  it.each(SUITE_NAMES)(`suite %s covers every expected outcome within ${runs} runs`, (name) => {
    const suite = buildSuite(name, config);
    if (!suite) throw new Error(`no suite ${name}`);
    const outcome = runSuite(suite, { seed: 1, runs });
    expect(explain(outcome)).toBe('pass');
    expect(suite.expectedOutcomes.filter((o) => !outcome.stats.coverage.has(o))).toEqual([]);
  });
});

// Two vCPUs per domain: maps come from either vCPU's free list, steal from the other's, and
// return handles to the mapper's list; model and impl must agree throughout.
describe('with two vCPUs per domain', () => {
  const config = makeConfig({ vcpus: 2 });
  it.each(SUITE_NAMES)(
    'suite %s passes and covers every expected outcome within 300 runs',
    (name) => {
      const suite = buildSuite(name, config);
      if (!suite) throw new Error(`no suite ${name}`);
      const outcome = runSuite(suite, { seed: 1, runs: 300 });
      expect(explain(outcome)).toBe('pass');
      expect(suite.expectedOutcomes.filter((o) => !outcome.stats.coverage.has(o))).toEqual([]);
    },
  );
});

describe('expected outcomes', () => {
  it('count GNTMAP_contains_pte map elements apart, by status, and demand okay and general_error', () => {
    const suite = buildSuite('conformance');
    const parsed = parseOp('map(d2: d1 ref=8 host|pte @0x10002010; d1 ref=9 host @0x5000)');
    if (!suite?.opCoverage || !parsed.ok) throw new Error('no suite or op');
    const coverage = suite.opCoverage(parsed.op, {
      kind: 'map_grant_ref',
      results: [{ status: -1 }, { status: 0, handle: 0, devBusAddr: 0 }],
    });
    expect(coverage).toEqual(['map_grant_ref:len=2-128', 'map_grant_ref+pte:general_error']);
    expect(suite.expectedOutcomes.filter((o) => o.includes('+pte'))).toEqual([
      'map_grant_ref+pte:okay',
      'map_grant_ref+pte:general_error',
    ]);
  });
  it('demand permission_denied only where an unprivileged domain can name another (copy: always, a gmfn named by a numeric domid)', () => {
    const denied = (domains: number) =>
      buildSuite('protocol', makeConfig({ domains }))?.expectedOutcomes.filter((o) =>
        o.endsWith(':permission_denied'),
      );
    expect(denied(1)).toEqual(['copy:permission_denied']);
    expect(denied(2)).toEqual([
      'setup_table:permission_denied',
      'query_size:permission_denied',
      'copy:permission_denied',
    ]);
  });

  it("demand a map's no_space only where one burst can fill the maptrack table", () => {
    const noSpace = (maxMaptrackFrames: number) =>
      buildSuite('conformance', makeConfig({ maxMaptrackFrames }))?.expectedOutcomes.includes(
        'map_grant_ref:no_space',
      );
    expect(noSpace(1)).toBe(true); // 255 handles
    expect(noSpace(4)).toBe(true); // 1,023 handles: one 1,024-element burst
    expect(noSpace(5)).toBe(false);
    expect(noSpace(1024)).toBe(false); // real Xen's dom0 (XEN_DOM0_CONFIG)
  });
  it('include every batch-length class of map and unmap', () => {
    const suite = buildSuite('conformance');
    expect(suite?.expectedOutcomes.filter((o) => o.includes(':len'))).toEqual([
      'map_grant_ref:len=1',
      'map_grant_ref:len=2-128',
      'map_grant_ref:len=129-255',
      'map_grant_ref:len>=256',
      'unmap_grant_ref:len=1',
      'unmap_grant_ref:len=2-31',
      'unmap_grant_ref:len=32',
      'unmap_grant_ref:len=33-64',
      'unmap_grant_ref:len>=65',
    ]);
  });
});
