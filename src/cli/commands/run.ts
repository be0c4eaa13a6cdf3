// `grantcheck run`: the main job. Runs the property suites with a seed (fresh and printed unless
// given), shows progress on a terminal, prints a summary, and on a violation writes a trace and
// the one command that replays it.

import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { GrantConfig } from '../../config.ts';
import { DEFAULT_CONFIG } from '../../configDefaults.ts';
import { findFault, subjectOf } from '../../faults/index.ts';
import { violationName } from '../../harness/checker.ts';
import { runSuite } from '../../harness/random.ts';
import type { Suite, SuiteOutcome } from '../../harness/suite.ts';
import { describeComparison } from '../../subject/subject.ts';
import type { SubjectFactory } from '../../subject/subject.ts';
import { TOOL } from '../../version.ts';
import { buildSuite, SUITE_NAMES } from '../../../properties/suites.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { checkOutDir, parseIntOption, UsageError } from '../options.ts';
import { renderCoverage, renderReplayTable, renderSideBySide } from '../render.ts';
import { tryWrite } from '../write.ts';

export interface RunFlags {
  readonly suite?: string;
  readonly seed?: string;
  readonly runs?: string;
  readonly maxOps?: string;
  readonly domains?: string;
  readonly out?: string;
  readonly json?: boolean;
  readonly fault?: string;
  readonly subject?: string;
}

export const DEFAULT_TRACE_DIR = 'grantcheck-traces';

interface SuiteSummary {
  readonly suite: Suite;
  readonly outcome: SuiteOutcome;
  readonly tracePath?: string;
}

function readFlags(flags: RunFlags): {
  suites: Suite[];
  seed: number;
  runs: number | undefined;
  maxOps: number | undefined;
  fault: string | null;
  outDir: string;
} {
  const domains = parseIntOption('domains', flags.domains, 1, 16);
  // No GrantConfigSchema.parse: --domains is checked against the schema's bounds (1..16) above,
  // and zod is the largest part of start-up (a test keeps the bounds equal to the schema's).
  const config: GrantConfig = { ...DEFAULT_CONFIG, ...(domains === undefined ? {} : { domains }) };
  const names = flags.suite === undefined || flags.suite === 'all' ? SUITE_NAMES : [flags.suite];
  const suites = names.map((name) => {
    const suite = buildSuite(name, config);
    if (!suite) {
      throw new UsageError(`--suite: no suite '${name}' (known: ${SUITE_NAMES.join(', ')}, all)`);
    }
    return suite;
  });
  if (flags.fault !== undefined && !findFault(flags.fault)) {
    throw new UsageError(`--fault: no fault '${flags.fault}' (see: grantcheck list)`);
  }
  return {
    suites,
    seed: parseIntOption('seed', flags.seed, 0, 2 ** 31 - 1) ?? randomInt(2 ** 31 - 1),
    runs: parseIntOption('runs', flags.runs, 1, 10_000_000),
    maxOps: parseIntOption('max-ops', flags.maxOps, 1, 100_000),
    fault: flags.fault ?? null,
    outDir: checkOutDir('out', flags.out ?? DEFAULT_TRACE_DIR),
  };
}

/** The command that re-runs one suite of this run (when its trace could not be written). */
function rerunCommand(suite: string, seed: number, flags: RunFlags): string {
  const kept: [string, string | undefined][] = [
    ['--runs', flags.runs],
    ['--max-ops', flags.maxOps],
    ['--domains', flags.domains],
    ['--fault', flags.fault],
  ];
  const rest = kept.flatMap(([flag, value]) => (value === undefined ? [] : [` ${flag} ${value}`]));
  return `npx grantcheck run --suite ${suite} --seed ${seed}${rest.join('')}`;
}

function rate(ops: number, ms: number): number {
  return ms > 0 ? Math.round((ops * 1000) / ms) : 0;
}

export async function runCommand(flags: RunFlags, io: Io): Promise<CliOutcome> {
  const parsed = readFlags(flags);
  const fault = parsed.fault === null ? undefined : findFault(parsed.fault);
  // Why import here? Start-up: a run without --subject loads neither the wire protocol nor zod.
  if (flags.subject === undefined) return runAgainst(subjectOf(fault), parsed, flags, io);
  const { withSubject } = await import('../subject.ts');
  return withSubject(flags.subject, fault, (subject) => runAgainst(subject, parsed, flags, io));
}

/** What a violation needs and a passing run does not (traces: zod's schemas, replay). */
async function violationTools() {
  const [{ buildTrace }, { writeTrace }, { replayTrace }] = await Promise.all([
    import('../../trace/format.ts'),
    import('../../trace/io.ts'),
    import('../../trace/replay.ts'),
  ]);
  return { buildTrace, writeTrace, replayTrace };
}

async function runAgainst(
  subject: SubjectFactory,
  parsed: ReturnType<typeof readFlags>,
  flags: RunFlags,
  io: Io,
): Promise<CliOutcome> {
  const { suites, seed, runs, maxOps, fault, outDir } = parsed;
  const say = (line = '') => {
    if (!flags.json) io.out(`${line}\n`);
  };

  say(`grantcheck run: seed ${seed}${fault ? `, fault ${fault}` : ''}`);
  say(`compared: ${describeComparison(subject)}`);
  const summaries: SuiteSummary[] = [];
  for (const suite of suites) {
    const totalRuns = runs ?? suite.defaultRuns;
    const outcome = runSuite(suite, {
      seed,
      ...(runs === undefined ? {} : { runs }),
      ...(maxOps === undefined ? {} : { maxOps }),
      subject,
      onRun: (done, ops) => {
        if (io.interactive && !flags.json && (done % 10 === 0 || done === totalRuns)) {
          io.err(`\r  ${suite.name}: run ${done}/${totalRuns}, ${ops} ops checked`);
        }
      },
    });
    if (io.interactive && !flags.json) io.err('\r\x1b[K');
    const summary: SuiteSummary = { suite, outcome };
    summaries.push(summary);
    const { stats } = outcome;
    say();
    say(`suite ${suite.name}: ${suite.description}`);
    say(`  runs     ${stats.runs} × at most ${maxOps ?? suite.defaultMaxOps} ops`);
    say(
      `  ops      ${stats.ops} checked in ${(stats.elapsedMs / 1000).toFixed(1)} s (${rate(stats.ops, stats.elapsedMs)} ops/s)`,
    );
    say('  coverage (op: status count)');
    for (const line of renderCoverage(stats.coverage, suite.expectedOutcomes)) say(`  ${line}`);
    if (outcome.kind === 'coverage-gap') {
      say(`  result   FAIL: never produced ${outcome.missing.join(', ')}`);
      break;
    }
    if (outcome.kind === 'violation') {
      const tracePath = join(outDir, `${suite.name}-seed${seed}${fault ? `-${fault}` : ''}.json`);
      const { buildTrace, writeTrace, replayTrace } = await violationTools();
      const trace = buildTrace({
        tool: TOOL,
        config: suite.config,
        fault,
        origin: {
          engine: 'random',
          suite: suite.name,
          seed: outcome.replay.seed,
          path: outcome.replay.path,
          ...(outcome.replay.replayPath === undefined
            ? {}
            : { replayPath: outcome.replay.replayPath }),
          runs: runs ?? suite.defaultRuns,
          maxOps: maxOps ?? suite.defaultMaxOps,
        },
        report: outcome.report,
      });
      const failure = outcome.report.failure;
      say(
        `  result   VIOLATION: ${violationName(outcome.violation)} at step ${(failure?.step ?? 0) + 1} of ${outcome.ops.length}`,
      );
      say();
      const replay = replayTrace(trace, {
        invariants: suite.invariants,
        properties: suite.properties,
        subject,
      });
      for (const line of renderReplayTable(replay.rows)) say(line);
      const failing = failure && failure.step >= 0 ? outcome.report.steps[failure.step] : undefined;
      if (failing) {
        say();
        say(`step ${(failure?.step ?? 0) + 1}, model and impl side by side:`);
        for (const line of renderSideBySide(failing)) say(line);
      }
      say();
      // Why write only now? The violation is on the screen whatever happens to the write.
      if (tryWrite(io, 'trace', tracePath, () => writeTrace(tracePath, trace))) {
        summaries[summaries.length - 1] = { ...summary, tracePath };
        say(`trace written: ${tracePath}`);
        say(`reproduce:     npx grantcheck replay ${tracePath}`);
      } else {
        say(`reproduce:     ${rerunCommand(suite.name, seed, flags)}`);
      }
      say(
        `fast-check:    seed=${outcome.replay.seed} path="${outcome.replay.path}"${outcome.replay.replayPath ? ` replayPath="${outcome.replay.replayPath}"` : ''}`,
      );
      break;
    }
    say('  result   PASS');
  }

  const failed = summaries.find((s) => s.outcome.kind !== 'pass');
  if (flags.json) {
    io.out(
      `${JSON.stringify(
        {
          result: failed ? failed.outcome.kind : 'pass',
          seed,
          fault,
          compared: describeComparison(subject),
          suites: summaries.map(({ suite, outcome, tracePath }) => ({
            name: suite.name,
            outcome: outcome.kind,
            runs: outcome.stats.runs,
            ops: outcome.stats.ops,
            opsPerSecond: rate(outcome.stats.ops, outcome.stats.elapsedMs),
            coverage: Object.fromEntries([...outcome.stats.coverage.entries()].sort()),
            ...(outcome.kind === 'coverage-gap' ? { missing: outcome.missing } : {}),
            ...(outcome.kind === 'violation'
              ? { violation: violationName(outcome.violation), trace: tracePath }
              : {}),
          })),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    say();
    say(failed ? `FAILED (${failed.suite.name})` : `PASSED: ${summaries.length} suite(s)`);
  }
  return failed ? { kind: 'violation' } : { kind: 'ok' };
}
