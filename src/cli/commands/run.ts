// `grantcheck run`: the main job. Runs the property suites with a seed (fresh and printed unless
// given), shows progress on a terminal, prints a summary, and on a violation writes a trace and
// the one command that replays it.

import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { GrantConfig } from '../../config.ts';
import { DEFAULT_CONFIG, GUEST_PROFILES, type GuestProfile } from '../../configDefaults.ts';
import { findFault, subjectOf, withProfile } from '../../faults/index.ts';
import type { Fault } from '../../faults/index.ts';
import { violationName } from '../../harness/checker.ts';
import type { MinDomains, Suite, SuiteOutcome } from '../../harness/suite.ts';
import { failureRoot, subjectDir } from '../../failures/paths.ts';
import { describeComparison } from '../../subject/subject.ts';
import { XEN_DOM0_CONFIG, XEN_SUBJECT } from '../../subject/xen/config.ts';
import type { SubjectFactory } from '../../subject/subject.ts';
import { buildSuite, SUITE_NAMES } from '../../../properties/suites.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { checkOutDir, DEFAULT_TRACE_DIR, parseIntOption, UsageError } from '../options.ts';
import { checkXenFlags } from '../xenFlags.ts';
import { stylerOf } from '../colour.ts';
import type { Styler } from '../colour.ts';
import { startProgress } from '../progress.ts';
import { coverageTable, sideBySideView, stepTable, widthOf } from '../views.ts';
import { traceFileName, tryWrite } from '../write.ts';
import { runSuiteSplit, SuiteWorkers } from '../workers/runs.ts';
import { parseShard, parseWorkers } from '../workers/split.ts';
import type { Shard } from '../workers/split.ts';

export interface RunFlags {
  readonly suite?: string;
  readonly seed?: string;
  readonly runs?: string;
  readonly maxOps?: string;
  readonly domains?: string;
  readonly vcpus?: string;
  /** The guest profile of domains 1.. (strict, linux, mini-os, mirage, all). */
  readonly profile?: string;
  readonly out?: string;
  /** json or itf: the trace file's format (traceFileName). */
  readonly format?: string;
  readonly json?: boolean;
  readonly fault?: string;
  readonly subject?: string;
  /** The failure database directory, or false (--no-failures). */
  readonly failures?: string | false;
  readonly workers?: string;
  readonly shard?: string;
}

export { DEFAULT_TRACE_DIR };

interface SuiteSummary {
  readonly suite: Suite;
  readonly outcome: SuiteOutcome;
  readonly tracePath?: string;
  /** The trace's HTML page (src/view), when one was written. */
  readonly viewPath?: string;
}

function readFlags(flags: RunFlags): {
  suites: Suite[];
  seed: number;
  runs: number | undefined;
  maxOps: number | undefined;
  fault: string | null;
  outDir: string;
  failures: string | null;
  config: GrantConfig;
  workers: number | undefined;
  shard: Shard | undefined;
} {
  const domains = parseIntOption('domains', flags.domains, 1, 16);
  // No GrantConfigSchema.parse: --domains is checked against the schema's bounds (1..16) above,
  // and zod is the largest part of start-up (a test keeps the bounds equal to the schema's).
  // Real Xen runs dom0 alone, with Xen's own limits (src/subject/xen/config.ts).
  const base = flags.subject === XEN_SUBJECT ? XEN_DOM0_CONFIG : DEFAULT_CONFIG;
  const vcpus = parseIntOption('vcpus', flags.vcpus, 1, 4);
  const config: GrantConfig = {
    ...base,
    ...(domains === undefined ? {} : { domains }),
    ...(vcpus === undefined || vcpus === 1 ? {} : { vcpus }),
  };
  if (flags.subject === XEN_SUBJECT) checkXenFlags(config);
  const all = flags.suite === undefined || flags.suite === 'all';
  const names = all ? SUITE_NAMES : [flags.suite];
  const fault = flags.fault === undefined ? undefined : findFault(flags.fault);
  if (flags.fault !== undefined && !fault) {
    throw new UsageError(`--fault: no fault '${flags.fault}' (see: grantcheck list)`);
  }
  const profiles = runProfiles(flags.profile, fault, flags.subject !== undefined);
  if (flags.subject !== undefined && profiles.some((p) => p !== 'strict')) {
    // The guest libraries are the built-in impl's; a subject's guest is its own.
    throw new UsageError('--profile: only the built-in impl runs guest profiles (no --subject)');
  }
  const runs = parseIntOption('runs', flags.runs, 1, 10_000_000);
  // One pass of the suites per profile, each with the same seed; strict first, so that the
  // strict pass draws exactly the runs it always did.
  const suites = profiles.flatMap((profile) =>
    names.flatMap((name) => {
      const suite = buildSuite(name, withProfile(config, profile));
      if (!suite) {
        throw new UsageError(`--suite: no suite '${name}' (known: ${SUITE_NAMES.join(', ')}, all)`);
      }
      // A suite that needs more domains would pass vacuously (docs/semantics.md §17, §19: the
      // control domain may not kill itself, a backend needs a frontend apart): 'all' leaves it
      // out (real Xen's dom0 alone runs the others), a suite named is refused.
      if (!fitsDomains(config, suite.minDomains, all ? null : `--suite ${name}`, flags)) return [];
      if (profile === 'strict') return [suite];
      // So would a library pass with dom0 alone: the library runs in domains 1.. (withProfile).
      const chosenBy =
        fault?.profile === profile
          ? `--fault ${fault.id}`
          : flags.profile === profile
            ? `--profile ${profile}`
            : null;
      if (!fitsDomains(config, libraryMinDomains(profile), chosenBy, flags)) return [];
      const named = { ...suite, name: `${suite.name}+${profile}` };
      return [profiles.length === 1 ? named : libraryPass(named, runs)];
    }),
  );
  return {
    suites,
    seed: parseIntOption('seed', flags.seed, 0, 2 ** 31 - 1) ?? randomInt(2 ** 31 - 1),
    runs,
    maxOps: parseIntOption('max-ops', flags.maxOps, 1, 100_000),
    fault: flags.fault ?? null,
    outDir: checkOutDir('out', flags.out ?? DEFAULT_TRACE_DIR),
    failures: checkedFailureRoot(flags.failures),
    config,
    workers: flags.workers === undefined ? undefined : parseWorkers(flags.workers),
    shard: parseShard(flags.shard),
  };
}

/** What a pass of a guest library needs: dom0 runs the strict one, the library domains 1..
 * (withProfile), so with dom0 alone none of the library's ops is ever made. */
function libraryMinDomains(profile: GuestProfile): MinDomains {
  return { count: 2, why: `the ${profile} library runs in domains 1.., dom0 the strict one` };
}

/** Can a pass that needs `min` run in `config`? Not if it would pass vacuously: left out when an
 * `all` chose it (`chosenBy` null), refused in one line naming the minimum when a flag did. */
function fitsDomains(
  config: GrantConfig,
  min: MinDomains | undefined,
  chosenBy: string | null,
  flags: RunFlags,
): boolean {
  if (min === undefined || config.domains >= min.count) return true;
  if (chosenBy === null) return false;
  throw new UsageError(
    flags.subject === XEN_SUBJECT
      ? `${chosenBy} needs ${min.count} domains or more (${min.why}): real Xen here (--subject xen) has dom0 alone`
      : `${chosenBy} needs --domains ${min.count} or more (${min.why})`,
  );
}

/** With `--profile all` (the default), each library pass (linux, mini-os, mirage) runs this
 * fraction of the strict pass's runs (docs/semantics.md §18.7). Why a twentieth: a library run
 * costs two to three times a strict one, and the three library passes together then add about
 * half of the strict pass's time (measured: 1.4 times the strict run in all). */
export const LIBRARY_PASS_SHARE = 20;

/** A library pass of `--profile all`: `suite` on a twentieth of its runs (of --runs when given).
 * Its expected outcomes are calibrated for the full budget, so at this one it demands none;
 * `--profile linux` (one profile) runs the full budget and demands them. */
function libraryPass(suite: Suite, runs: number | undefined): Suite {
  const share = Math.ceil((runs ?? suite.defaultRuns) / LIBRARY_PASS_SHARE);
  const pass = { ...suite, defaultRuns: share, expectedOutcomes: [] };
  LIBRARY_PASSES.add(pass);
  return pass;
}

/** The library passes of this process's runs (their runs are their defaultRuns, --runs or not). */
const LIBRARY_PASSES = new WeakSet<Suite>();

/** The guest profiles to run: --profile, or the fault's own (Fault.profile), or all of them
 * (strict at the full budget, then each library at LIBRARY_PASS_SHARE of it); only strict
 * against a --subject, whose guest is its own. */
function runProfiles(
  flag: string | undefined,
  fault: Fault | undefined,
  subject: boolean,
): GuestProfile[] {
  if (flag === undefined) {
    if (fault !== undefined) return [fault.profile ?? 'strict'];
    return subject ? ['strict'] : [...GUEST_PROFILES];
  }
  if (flag === 'all') return [...GUEST_PROFILES];
  const known = GUEST_PROFILES as readonly string[];
  if (!known.includes(flag)) {
    throw new UsageError(`--profile: no profile '${flag}' (known: ${known.join(', ')}, all)`);
  }
  const profile = flag as GuestProfile;
  if (fault?.profile !== undefined && profile !== fault.profile) {
    throw new UsageError(`--profile: fault ${fault.id} is a ${fault.profile} bug`);
  }
  return [profile];
}

/** The failure database in force, checked like --out before any work. */
function checkedFailureRoot(flag: string | false | undefined): string | null {
  const root = failureRoot(flag);
  return root === null ? null : checkOutDir('failures', root);
}

interface KeptReport {
  readonly replayed: number;
  readonly stillFailing: readonly string[];
  readonly forgotten: number;
}

/** Replay the subject's kept failures of these suites first; forget those that pass now. */
async function replayKept(
  root: string,
  subject: SubjectFactory,
  suites: readonly Suite[],
  say: (line?: string) => void,
  view: { readonly width: number; readonly style: Styler },
): Promise<KeptReport | undefined> {
  if (!existsSync(subjectDir(root, subject.name))) return undefined; // nothing kept: load nothing
  const [{ forgetFailure, keptFailures }, { replayTrace }] = await Promise.all([
    import('../../failures/db.ts'),
    import('../../trace/replay.ts'),
  ]);
  const { kept, unreadable } = keptFailures(root, subject.name);
  for (const problem of unreadable) say(`kept failure skipped: ${problem}`);
  const stillFailing: string[] = [];
  let replayed = 0;
  let forgotten = 0;
  for (const { path, trace } of kept) {
    const origin = trace.origin;
    const suite = suites.find((s) => origin.engine === 'random' && s.name === origin.suite);
    if (!suite) continue;
    replayed++;
    const replay = replayTrace(trace, {
      invariants: suite.invariants,
      properties: suite.properties,
      subject,
    });
    if (replay.verdict.kind === 'pass') {
      forgetFailure(path);
      forgotten++;
      continue;
    }
    stillFailing.push(path);
    say();
    say(`kept failure ${path} still fails (${suite.name}):`);
    for (const line of stepTable(replay.rows, view.width, view.style)) say(line);
    say(`reproduce:     npx grantcheck replay ${path}`);
  }
  if (kept.length > 0) {
    say(
      `kept failures: ${replayed} replayed from ${subjectDir(root, subject.name)}: ${stillFailing.length} still fail, ${forgotten} pass now (forgotten)`,
    );
  }
  return { replayed, stillFailing, forgotten };
}

/** The command that re-runs one suite of this run (when its trace could not be written): a
 * library pass (`conformance+linux`) as its suite under its profile, on the runs it ran; the
 * strict pass as `--profile strict` (a fault's run is strict already), its runs only if given. */
function rerunCommand(
  suite: Suite,
  runs: number | undefined,
  seed: number,
  flags: RunFlags,
): string {
  const [name, profile] = suite.name.split('+');
  const library = profile !== undefined;
  const kept: [string, string | undefined][] = [
    ['--profile', library ? profile : flags.fault === undefined ? 'strict' : undefined],
    [
      '--runs',
      runs === undefined ? (library ? String(suite.defaultRuns) : undefined) : String(runs),
    ],
    ['--max-ops', flags.maxOps],
    ['--domains', flags.domains],
    ['--vcpus', flags.vcpus],
    ['--fault', flags.fault],
  ];
  const rest = kept.flatMap(([flag, value]) => (value === undefined ? [] : [` ${flag} ${value}`]));
  return `npx grantcheck run --suite ${name ?? suite.name} --seed ${seed}${rest.join('')}`;
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
  const [violation, { writeTrace }, { keepFailure }] = await Promise.all([
    import('../../report/violation.ts'),
    import('../../trace/io.ts'),
    import('../../failures/db.ts'),
  ]);
  return { ...violation, writeTrace, keepFailure };
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
  const style = stylerOf(io);

  const { shard } = parsed;
  const shardNote = shard ? `, shard ${shard.index}/${shard.count}` : '';
  say(`grantcheck run: seed ${seed}${fault ? `, fault ${fault}` : ''}${shardNote}`);
  say(`compared: ${describeComparison(subject)}`);
  const kept = parsed.failures
    ? await replayKept(parsed.failures, subject, suites, say, { width: widthOf(io), style })
    : undefined;
  if (kept && kept.stillFailing.length > 0) {
    if (flags.json) {
      io.out(`${JSON.stringify({ result: 'violation', seed, fault, kept }, null, 2)}\n`);
    }
    say();
    say(
      style.fail(
        `FAILED: ${kept.stillFailing.length} kept failure(s) still fail; nothing new generated`,
      ),
    );
    return { kind: 'violation' };
  }
  const summaries: SuiteSummary[] = [];
  // One set of worker threads for every suite: each suite's runs go to workers already warm.
  const threads = new SuiteWorkers();
  try {
    for (const suite of suites) {
      // a library pass of --profile all runs its share (libraryPass), --runs or not
      const passRuns = LIBRARY_PASSES.has(suite) ? undefined : runs;
      const totalRuns = passRuns ?? suite.defaultRuns;
      const bar = startProgress(io, flags.json, {
        label: suite.name,
        unit: 'runs',
        total: totalRuns,
      });
      const outcome = await runSuiteSplit(suite, {
        seed,
        ...(passRuns === undefined ? {} : { runs: passRuns }),
        ...(maxOps === undefined ? {} : { maxOps }),
        config: suite.config, // a library pass's config names its profiles
        fault,
        subject,
        external: flags.subject !== undefined,
        ...(parsed.workers === undefined ? {} : { workers: parsed.workers }),
        ...(shard === undefined ? {} : { shard }),
        threads,
        onRun: (done, ops) => bar.update(done, `${ops} ops checked`),
      });
      bar.stop();
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
      for (const line of coverageTable(
        stats.coverage,
        suite.expectedOutcomes,
        widthOf(io),
        4,
        style,
      ))
        say(line);
      if (outcome.kind === 'coverage-gap') {
        say(`  result   ${style.fail(`FAIL: never produced ${outcome.missing.join(', ')}`)}`);
        break;
      }
      if (outcome.kind === 'violation') {
        const stem = `${suite.name}-seed${seed}${fault ? `-${fault}` : ''}`;
        const tracePath = join(outDir, traceFileName(stem, flags.format));
        const { violationTrace, violationLines, fastCheckLine, writeTrace, keepFailure } =
          await violationTools();
        const trace = violationTrace(suite, outcome, {
          fault,
          runs: passRuns ?? suite.defaultRuns,
          maxOps: maxOps ?? suite.defaultMaxOps,
        });
        const width = widthOf(io);
        const [head = '', ...rest] = violationLines(outcome, {
          table: (r) => stepTable(r, width, style),
          sideBySide: (s) => sideBySideView(s, width, style),
        });
        say(`  result   ${style.fail(head)}`);
        for (const line of rest) say(line);
        say();
        // Why write only now? The violation is on the screen whatever happens to the write.
        if (tryWrite(io, 'trace', tracePath, () => writeTrace(tracePath, trace))) {
          summaries[summaries.length - 1] = { ...summary, tracePath };
          say(`trace written: ${tracePath}`);
          say(`reproduce:     npx grantcheck replay ${tracePath}`);
          // The page replays the trace against the built-in impl (and its fault): for another
          // subject it would show the built-in impl's states, not the ones that failed.
          if (flags.subject === undefined) {
            const { viewPathOf, writeTraceView } = await import('../../view/index.ts');
            const viewPath = viewPathOf(tracePath);
            if (tryWrite(io, 'view', viewPath, () => writeTraceView(tracePath))) {
              summaries[summaries.length - 1] = { ...summary, tracePath, viewPath };
              say(`view:          ${viewPath}`);
            }
          }
          const db = parsed.failures;
          if (db && tryWrite(io, 'kept failure', db, () => keepFailure(db, subject.name, trace))) {
            say(`kept in:       ${subjectDir(db, subject.name)} (replayed first by the next run)`);
          }
        } else {
          say(`reproduce:     ${rerunCommand(suite, passRuns, seed, flags)}`);
        }
        say(fastCheckLine(outcome));
        break;
      }
      say(`  result   ${style.pass('PASS')}`);
    }
  } finally {
    threads.close();
  }

  const failed = summaries.find((s) => s.outcome.kind !== 'pass');
  if (flags.json) {
    io.out(
      `${JSON.stringify(
        {
          result: failed ? failed.outcome.kind : 'pass',
          seed,
          fault,
          ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
          compared: describeComparison(subject),
          ...(subject.restarts ? { restarts: subject.restarts() } : {}),
          ...(kept ? { kept } : {}),
          suites: summaries.map(({ suite, outcome, tracePath, viewPath }) => ({
            name: suite.name,
            outcome: outcome.kind,
            runs: outcome.stats.runs,
            ops: outcome.stats.ops,
            opsPerSecond: rate(outcome.stats.ops, outcome.stats.elapsedMs),
            coverage: Object.fromEntries([...outcome.stats.coverage.entries()].sort()),
            ...(outcome.kind === 'coverage-gap' ? { missing: outcome.missing } : {}),
            ...(outcome.kind === 'violation'
              ? {
                  violation: violationName(outcome.violation),
                  trace: tracePath,
                  ...(viewPath ? { view: viewPath } : {}),
                }
              : {}),
          })),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const restarts = subject.restarts?.() ?? [];
    if (restarts.length > 0) {
      say();
      say(`subject restarted ${restarts.length}× (last: ${restarts[restarts.length - 1]})`);
    }
    say();
    say(
      failed
        ? style.fail(`FAILED (${failed.suite.name})`)
        : style.pass(`PASSED: ${summaries.length} suite(s)`),
    );
  }
  return failed ? { kind: 'violation' } : { kind: 'ok' };
}
