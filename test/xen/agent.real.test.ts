// Real Xen with the package's own dom0 agent (agents/xen-dom0/agent.c), as a user runs it:
// `grantcheck run --subject xen` with a small budget boots Xen and passes; `replay` and `exec`
// run a trace and hand-written ops on it. Skipped with one line on a machine without the
// packages (a failure under GRANTCHECK_REQUIRE_XEN=1).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOps } from '../../src/harness/run.ts';
import { parseOp } from '../../src/ops/text.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import { buildTrace } from '../../src/trace/format.ts';
import { writeTrace } from '../../src/trace/io.ts';
import { TOOL } from '../../src/version.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { testSeeds } from '../support/seeds.ts';
import { grantcheckArgv, ROOT, sayWhetherXenRuns, XEN_AVAILABLE } from './support.ts';

sayWhetherXenRuns('dom0 agent');

// One pinned seed and the fresh one (printed): each is one boot and one `run` command.
const seeds = testSeeds('real Xen agent');
const SEEDS = [seeds[0] ?? 1, seeds[seeds.length - 1] ?? 1];

/** `grantcheck ARGS` from the sources, booting real Xen with this package's agent (not a
 * developer's GRANTCHECK_XEN_AGENT). */
function grantcheckOnXen(args: readonly string[], timeout: number) {
  return spawnSync(process.execPath, grantcheckArgv(...args), {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, GRANTCHECK_XEN_AGENT: '' },
    timeout,
  });
}

describe.skipIf(!XEN_AVAILABLE)('grantcheck run --subject xen', () => {
  it.each(SEEDS)(
    'boots real Xen and passes a small budget of both suites (seed %i)',
    (seed) => {
      const out = mkdtempSync(join(tmpdir(), 'grantcheck-xen-traces-'));
      try {
        const run = grantcheckOnXen(
          [
            'run',
            '--subject',
            'xen',
            '--runs',
            '20',
            '--seed',
            String(seed),
            '--out',
            out,
            '--no-failures',
            '--json',
          ],
          900_000,
        );
        expect(run.stderr).toBe('');
        const summary = JSON.parse(run.stdout) as {
          result: string;
          compared: string;
          suites: {
            name: string;
            outcome: string;
            runs: number;
            ops: number;
            opsPerSecond: number;
          }[];
        };
        for (const s of summary.suites) {
          console.log(
            `[real Xen agent] seed ${seed} ${s.name}: ${s.outcome}, ${s.runs} runs, ${s.ops} ops, ${s.opsPerSecond} ops/s`,
          );
        }
        expect(summary.compared).toMatch(/^xen-4\.17.* dom0: results, the state's entries/);
        expect(summary.suites.map((s) => [s.name, s.outcome, s.runs])).toEqual([
          ['conformance', 'pass', 20],
          ['protocol', 'pass', 20],
        ]);
        expect(run.status).toBe(0);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    900_000,
  );
});

describe.skipIf(!XEN_AVAILABLE)('grantcheck replay TRACE --subject xen', () => {
  it('replays a trace of dom0 granting, mapping and unmapping its own page on real Xen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantcheck-xen-replay-'));
    try {
      const ops = [
        'grant_access(d0 ref=8 -> d0 gfn=256 rw)', // PV: dom0 names its first page by its MFN, 0x100
        'map(d0: d0 ref=8 host|ro @0x1000)',
        'unmap(d0: h=0 host=0x1000 dev=0x0)',
        'end_access(d0 ref=8)',
      ].map((text) => {
        const parsed = parseOp(text);
        if (!parsed.ok) throw new Error(parsed.error);
        return parsed.op;
      });
      const options = { invariants: INVARIANTS, properties: STEP_PROPERTIES };
      const report = runOps(XEN_DOM0_CONFIG, ops, options);
      expect(report.failure).toBeNull();
      const origin = { engine: 'manual' as const };
      const path = join(dir, 'dom0.json');
      writeTrace(
        path,
        buildTrace({ tool: TOOL, config: XEN_DOM0_CONFIG, fault: null, origin, report }),
      );
      const run = grantcheckOnXen(['replay', path, '--subject', 'xen'], 600_000);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^compared: xen-4\.17.* dom0: results, the state's entries/m);
      // the step table wraps its cells to 80 columns: the op and its result start the row
      expect(run.stdout).toMatch(/^ 2 +map\(d0: d0 ref=8 .*\[okay h=0 /m);
      expect(run.stdout).toMatch(/^result: PASSES/m);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

describe.skipIf(!XEN_AVAILABLE)('grantcheck exec OPS --subject xen', () => {
  it("runs hand-written ops on real Xen, side by side with the model's answers", () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantcheck-xen-exec-'));
    try {
      const path = join(dir, 'probe.json');
      const ops = [
        'grant_access(d0 ref=8 -> d0 gfn=257 rw)', // PV: dom0's second page by its MFN, 0x101
        // gnttab_copy_buf_valid: a gmfn side naming 8 after a gref-8 side claims nothing, so the
        // second element meets the DOMID_SELF rule (permission_denied), as the model says
        'copy(d0: d0 ref=8 off=0 -> self gmfn=256 off=0 len=8; d0 gmfn=8 off=0 -> self gmfn=256 off=0 len=8)',
        'end_access(d0 ref=8)',
      ];
      const run = grantcheckOnXen(
        ['exec', '--subject', 'xen', '--json', '--out', path, ...ops],
        600_000,
      );
      expect(run.stderr).toBe('');
      const json = JSON.parse(run.stdout) as {
        result: string;
        compared: string;
        steps: { model: string; impl: string }[];
      };
      expect(json.compared).toMatch(/^xen-4\.17.* dom0: results, the state's entries/);
      expect(json.steps.map((s) => [s.model, s.impl])).toEqual([
        ['ok', 'ok'],
        ['[okay, permission_denied]', '[okay, permission_denied]'],
        ['ended', 'ended'],
      ]);
      expect(json.result).toBe('pass');
      expect(run.status).toBe(0);
      // the trace it wrote is dom0's config and replays against the built-in impl
      const replay = spawnSync(process.execPath, grantcheckArgv('replay', path), {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(replay.stdout).toMatch(/^result: PASSES \(recorded: pass, same\)$/m);
      expect(replay.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
