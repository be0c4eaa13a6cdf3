// Real Xen with the package's own dom0 agent (agents/xen-dom0/agent.c), as a user runs it:
// `grantcheck run --subject xen` with a small budget boots Xen and passes. Skipped with one
// line on a machine without the packages (a failure under GRANTCHECK_REQUIRE_XEN=1).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testSeeds } from '../support/seeds.ts';
import { ROOT, sayWhetherXenRuns, XEN_AVAILABLE } from './support.ts';

sayWhetherXenRuns('dom0 agent');

// One pinned seed and the fresh one (printed): each is one boot and one `run` command.
const seeds = testSeeds('real Xen agent');
const SEEDS = [seeds[0] ?? 1, seeds[seeds.length - 1] ?? 1];

describe.skipIf(!XEN_AVAILABLE)('grantcheck run --subject xen', () => {
  it.each(SEEDS)(
    'boots real Xen and passes a small budget of both suites (seed %i)',
    (seed) => {
      const out = mkdtempSync(join(tmpdir(), 'grantcheck-xen-traces-'));
      try {
        const run = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            join(ROOT, 'bin', 'grantcheck.ts'),
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
          {
            cwd: ROOT,
            encoding: 'utf8',
            env: { ...process.env, GRANTCHECK_XEN_AGENT: '' },
            timeout: 900_000,
          },
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
