// The Promela model of the core protocol (bench/spin/promela.ts), the SPIN baseline of
// `npm run bench`: its shape for a small bound, and — when SPIN and gcc are installed — SPIN's
// reachable states and transitions equal to grantcheck's explorer's on small configurations.

import { describe, expect, it } from 'vitest';
import { parseCoreAction } from '../../../src/core/action.ts';
import type { CoreConfig } from '../../../src/core/config.ts';
import { coreModel } from '../../../src/core/model.ts';
import { explore } from '../../../src/explore/bfs.ts';
import { corePromela } from '../../../bench/spin/promela.ts';
import {
  hashBits,
  parsePanReport,
  runSpin,
  SPIN_APT_COMMAND,
  spinInstalled,
} from '../../../bench/spin/run.ts';

// CI (.ci/run, GRANTCHECK_REQUIRE_XEN=1) installs SPIN with the other optional tools: there a
// missing spin fails these tests; elsewhere its absence is said in one line.
const found = spinInstalled();
const runSpinTests = found.ok || process.env['GRANTCHECK_REQUIRE_XEN'] === '1';
if (!runSpinTests) {
  console.log(
    `SPIN state counts did not run: ${found.ok ? '' : found.missing}; install with: ${SPIN_APT_COMMAND}`,
  );
}

const SMALL: CoreConfig = { domains: 2, refs: 1, frames: 1, maxPin: 0 };
/** Small models: pan unoptimised (gcc's time dominates) with a small hash table. */
const QUICK = { optimise: false, hashBits: hashBits(20_000) };

/** The `:: d_step` lines, each with the action named in the comment line above it. */
function options(promela: string): { action: string; body: string }[] {
  const lines = promela.split('\n');
  const out: { action: string; body: string }[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('  :: ')) return;
    const comment = /^ {2}\/\* (.*) \*\/$/.exec(lines[i - 1] ?? '');
    out.push({ action: comment?.[1] ?? '', body: line });
  });
  return out;
}

describe('corePromela', () => {
  const text = corePromela(SMALL);

  it('has one d_step per action of the alphabet, each named by its core action', () => {
    const { domains: D, refs: R, frames: F } = SMALL;
    const perEntry = (D - 1) * F * 2 + 1 + D + 1; // grant_access, end_access, grant_transfer, end_transfer
    const expected = D * R * perEntry + D * D * R * 4 + D * F * D * R; // + map/unmap, transfer
    const opts = options(text);
    expect(opts).toHaveLength(expected);
    const actions = opts.map((o) => o.action);
    expect(new Set(actions).size).toBe(expected);
    for (const o of opts) {
      expect(parseCoreAction(o.action), o.action).toBeDefined();
      expect(o.body).toMatch(/^ {2}:: d_step \{ [^{}]+ -> [^{}]+; assert\(INV\) \}$/);
    }
    expect(actions).toContain('grant_access(d0, ref0, g1, f0, ro)');
    expect(actions).not.toContain('grant_access(d0, ref0, g0, f0, ro)'); // no grant to oneself
    expect(actions).toContain('grant_transfer(d0, ref0, g0)'); // but a transfer to oneself
  });

  it('declares every field, owners initialised to f mod D, and the invariants', () => {
    const text3 = corePromela({ domains: 2, refs: 2, frames: 3, maxPin: 2 });
    for (const field of ['kind', 'grantee', 'frame', 'rc', 'wc']) {
      expect(text3).toContain(`byte ${field}[4];`);
    }
    expect(text3).toContain('bit ro[4];');
    expect(text3).toContain('byte own0 = 0, own1 = 1, own2 = 0;');
    expect(text3).toContain('#define INV (');
    expect(text3).toContain('rc[3] <= 2 && wc[3] <= 2');
    const count = (s: string, c: string) => s.split(c).length - 1;
    expect(count(text3, '{')).toBe(count(text3, '}'));
    expect(count(text3, '(')).toBe(count(text3, ')'));
  });

  it('leaves the invariants out on request', () => {
    const plain = corePromela(SMALL, { invariants: false });
    expect(plain).not.toContain('INV');
    expect(options(plain)).toHaveLength(options(text).length);
  });

  it('refuses bounds the core model refuses', () => {
    expect(() => corePromela({ domains: 0, refs: 1, frames: 1, maxPin: 0 })).toThrow(RangeError);
  });
});

describe('parsePanReport', () => {
  // pan 6.5.2's report for D2 R1 F1 M0 (the lines it reads; the rest as pan prints it).
  const REPORT = [
    '(Spin Version 6.5.2 -- 6 December 2019)',
    '\t+ Breadth-First Search',
    'State-vector 28 byte, depth reached 6, errors: 0',
    '       48 states, stored',
    '\t      48 nominal states (stored-atomic)',
    '      101 states, matched',
    '      149 transitions (= stored+matched)',
    'pan: elapsed time 0.01 seconds',
  ].join('\n');

  it("reads pan's counts and search time", () => {
    expect(parsePanReport(REPORT)).toEqual({
      states: 48,
      transitions: 149,
      errors: 0,
      depth: 6,
      searchMs: 10,
    });
  });

  it('throws on a report without them', () => {
    expect(() => parsePanReport(REPORT.replace('states, stored', 'states'))).toThrow(/stored/);
  });
});

describe.skipIf(!runSpinTests)('SPIN on the generated model', () => {
  const configs: CoreConfig[] = [
    SMALL, // 48 states
    { domains: 2, refs: 1, frames: 2, maxPin: 1 }, // 410
    { domains: 3, refs: 1, frames: 2, maxPin: 1 }, // 14,868
  ];
  it.each(configs)('finds the states and transitions grantcheck finds: %o', (c) => {
    const o = explore(coreModel(c));
    expect(o.kind).toBe('ok');
    const { report } = runSpin(corePromela(c), QUICK);
    expect(report.errors).toBe(0);
    expect(report.states).toBe(o.stats.states);
    // pan counts the initial state as a transition.
    expect(report.transitions - 1).toBe(o.stats.transitions);
  });

  it('reports an invariant broken by an end_access that ignores mappings', () => {
    const c: CoreConfig = { domains: 2, refs: 1, frames: 1, maxPin: 1 };
    const text = corePromela(c);
    const guard = 'kind[0] == ACCESS && rc[0] == 0 && wc[0] == 0 -> kind[0] = FREE';
    expect(text).toContain(guard);
    // The planted bug's end_access: frees the entry but keeps its counts.
    const broken = text.replace(guard, 'kind[0] == ACCESS -> kind[0] = FREE');
    expect(runSpin(broken, QUICK).report.errors).toBe(1);
  });
});
