// `grantcheck faults`: the kill report. Runs every fault of the catalogue (src/faults) through
// the random property suites with a fixed seed and budget, prints one row per fault, and writes
// the trace of each catch. A race fault (one only concurrency reveals) goes through grantcheck
// interleave instead, random and exhaustive, in a table of its own. A fault that is not caught is
// a failure of the harness: exit 1.

import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../config.ts';
import { FAULTS, findFault } from '../../faults/index.ts';
import type { Fault } from '../../faults/index.ts';
import { caughtBy, faultTrace, passesUnfaulted } from '../../faults/kill.ts';
import type { FaultKill } from '../../faults/kill.ts';
import { median } from '../../faults/stats.ts';
import type { ExplorerResult } from '../../faults/explore.ts';
import type { Suite } from '../../harness/suite.ts';
import { writeTrace } from '../../trace/io.ts';
import { viewPathOf, writeTraceView } from '../../view/index.ts';
import type { RaceKill } from '../../faults/race.ts';
import { killRace, programOps, raceConfig } from '../../faults/race.ts';
import { buildInterleavedTrace } from '../../interleave/trace.ts';
import { TOOL } from '../../version.ts';
import { raceOpArbitrary } from '../../../properties/generators/interleave.ts';
import { RACE_TARGETS } from '../../../properties/interleave.ts';
import { DEFAULT_XEN_BOUNDS, xenModelName } from '../../xenExplore/index.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { buildSuite, SUITE_NAMES } from '../../../properties/suites.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { checkOutDir, parseIntOption, UsageError } from '../options.ts';
import { stylerOf } from '../colour.ts';
import type { Styler } from '../colour.ts';
import { startProgress } from '../progress.ts';
import { columnsTable, widthOf } from '../views.ts';
import { traceFileName, tryWrite } from '../write.ts';
import { DEFAULT_TRACE_DIR } from './run.ts';
import { judgeFaults } from '../workers/faults.ts';
import type { FaultJudges } from '../workers/faults.ts';
import { parseShard, parseWorkers, shardRange } from '../workers/split.ts';

export interface FaultsFlags {
  readonly only?: string;
  readonly budget?: string;
  readonly seed?: string;
  readonly out?: string;
  /** json or itf: the trace files' format (traceFileName). */
  readonly format?: string;
  readonly json?: boolean;
  readonly exploreTime?: string;
  readonly workers?: string;
  readonly shard?: string;
}

/** Fixed, so that the report is the same on every machine (the "fixed seeds"). */
export const DEFAULT_FAULTS_SEED = 1;

const DEFAULT_XEN_BOUNDS_NAME = xenModelName(DEFAULT_XEN_BOUNDS);

/** Seconds of exhaustive search per fault for the explorer column (0: no search). */
export const DEFAULT_EXPLORE_SECONDS = 3;

/** The targets for the default budget. */
const TARGET_MEDIAN_MS = 1000;
const TARGET_WORST_MS = 10_000;

interface Row {
  readonly kill: FaultKill;
  /** The shrunk counterexample also fails against the correct impl: a harness bug. */
  readonly falseAlarm: boolean;
  readonly tracePath?: string;
  /** The trace's HTML page, when one was written beside it. */
  readonly viewPath?: string;
  readonly explorer?: ExplorerResult;
}

function readFlags(flags: FaultsFlags): {
  faults: Fault[];
  seed: number;
  runs?: number;
  exploreMs: number;
  outDir: string;
  workers: number;
  shard: string | undefined;
} {
  let faults = [...FAULTS];
  if (flags.only !== undefined) {
    const ids = flags.only.split(',').map((s) => s.trim());
    faults = ids.map((id) => {
      const f = findFault(id);
      if (!f) throw new UsageError(`--only: no fault '${id}' (see: grantcheck list)`);
      return f;
    });
  }
  // --shard: a consecutive part of the catalogue (of --only's faults), in catalogue order.
  const shard = parseShard(flags.shard);
  const part = shardRange(faults.length, shard);
  faults = faults.slice(part.start, part.end);
  const runs = parseIntOption('budget', flags.budget, 1, 10_000_000);
  const explore = parseIntOption('explore-time', flags.exploreTime, 0, 86_400);
  return {
    faults,
    exploreMs: (explore ?? DEFAULT_EXPLORE_SECONDS) * 1000,
    seed: parseIntOption('seed', flags.seed, 0, 2 ** 31 - 1) ?? DEFAULT_FAULTS_SEED,
    ...(runs === undefined ? {} : { runs }),
    outDir: checkOutDir('out', flags.out ?? DEFAULT_TRACE_DIR),
    workers: parseWorkers(flags.workers),
    shard: shard ? `${shard.index}/${shard.count}` : undefined,
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** Batch elements in a counterexample: a 3-op trace may hold a 255-element map burst. */
function elements(kill: FaultKill): number {
  return (kill.best?.shrunk ?? []).reduce((n, op) => n + ('batch' in op ? op.batch.length : 1), 0);
}

/** The explorer's cell: the shortest length, or how far it looked. */
function explorerCell(e: ExplorerResult | undefined): string {
  if (!e) return 'n/a';
  if (e.kind === 'caught') return String(e.length);
  return e.complete ? 'none (all)' : `none ≤${e.depth}`;
}

/** The target: a shrunk counterexample at most 2 ops longer than the explorer's. */
function tooLong(row: Row): boolean {
  const e = row.explorer;
  return (
    row.kill.best !== undefined &&
    e?.kind === 'caught' &&
    row.kill.best.shrunk.length > e.length + 2
  );
}

/** `head` and `cells` as left-aligned columns, two spaces apart, fitted to `width`; the fault
 * ids are never shortened. A fault not caught (or falsely, or by a crash) in the fail colour. */
function columns(
  head: readonly string[],
  cells: readonly (readonly string[])[],
  width: number,
  style: Styler,
): string[] {
  const bad = /^(NOT CAUGHT|not caught|FALSE ALARM|IMPL CRASH)/;
  const styles = cells.map((row) => row.map((c) => (bad.test(c) ? style.fail : undefined)));
  return columnsTable(head, cells, width, { whole: [0], styles, style });
}

function table(rows: readonly Row[], width: number, style: Styler): string[] {
  const head = ['fault', 'caught by', 'suite', 'run', 'ops', '~time', 'shrunk', 'explorer'];
  const cells = rows.map((row) => {
    const { kill, falseAlarm } = row;
    const b = kill.best;
    const explorer = explorerCell(row.explorer);
    if (!b) {
      const crash = kill.attempts.find((a) => a.kind === 'crashed');
      const why = crash?.kind === 'crashed' ? `IMPL CRASH: ${crash.message}` : 'NOT CAUGHT';
      return [kill.fault.id, why, '-', '-', '-', '-', '-', explorer];
    }
    const by = falseAlarm ? `FALSE ALARM (${caughtBy(b)})` : caughtBy(b);
    const n = elements(kill);
    return [
      kill.fault.id,
      by,
      b.suite.name,
      String(b.runs + 1),
      String(b.ops),
      seconds(b.catchMs),
      (n === b.shrunk.length ? String(n) : `${b.shrunk.length} (${n} el.)`) +
        (tooLong(row) ? ' (>explorer+2)' : ''),
      explorer,
    ];
  });
  return columns(head, cells, width, style);
}

export async function faultsCommand(flags: FaultsFlags, io: Io): Promise<CliOutcome> {
  const opened: FaultJudges[] = [];
  try {
    return await faultsReport(flags, io, opened);
  } finally {
    for (const judges of opened) judges.close(); // ends the workers if the report stopped early
  }
}

async function faultsReport(
  flags: FaultsFlags,
  io: Io,
  opened: FaultJudges[],
): Promise<CliOutcome> {
  const parsed = readFlags(flags);
  const { faults, seed, runs, exploreMs, outDir } = parsed;
  const suites: Suite[] = SUITE_NAMES.flatMap((name) => buildSuite(name, DEFAULT_CONFIG) ?? []);
  const say = (line = '') => {
    if (!flags.json) io.out(`${line}\n`);
  };
  const budget = runs === undefined ? 'each suite its default budget' : `${runs} runs per suite`;
  const shardNote = parsed.shard === undefined ? '' : `, shard ${parsed.shard}`;
  say(`grantcheck faults: ${faults.length} fault(s)${shardNote}, seed ${seed}, ${budget}`);
  say(`suites: ${suites.map((s) => s.name).join(', ')}`);

  const bar = startProgress(io, flags.json, {
    label: 'faults',
    unit: 'faults',
    total: faults.length,
  });
  const rows: Row[] = [];
  const races: RaceKill[] = [];
  const raceTraces = new Map<string, string>();
  const raceViews = new Map<string, string>();
  // The sequential faults on worker threads; race faults here, meanwhile, in this loop.
  const judges = judgeFaults(
    faults.filter((f) => f.race === undefined),
    suites,
    { seed, exploreMs, workers: parsed.workers, ...(runs === undefined ? {} : { runs }) },
  );
  opened.push(judges);
  // Race faults first: they run here while the workers judge the others. (Each table keeps
  // the catalogue's order: rows and races are collected apart.)
  const order = [...faults.filter((f) => f.race), ...faults.filter((f) => !f.race)];
  for (const [i, fault] of order.entries()) {
    bar.update(i, `next: ${fault.id}`);
    // Within a fault too: every run and schedule updates the bar, which answers a Ctrl-C.
    const tick = bar.active ? { onTick: () => bar.update(i, fault.id) } : {};
    const race = killRace(fault, {
      config: DEFAULT_CONFIG,
      seed,
      runs: runs ?? RACE_RUNS,
      maxOps: 3,
      invariants: INVARIANTS,
      arbitrary: (kind, dom) => raceOpArbitrary(kind, dom, RACE_TARGETS),
      ...tick,
    });
    if (race !== undefined) {
      races.push(race);
      const found = race.exhaustive.failure;
      if (found && fault.race) {
        const path = join(outDir, traceFileName(`fault-${fault.id}`, flags.format));
        const trace = buildInterleavedTrace({
          tool: TOOL,
          config: raceConfig(DEFAULT_CONFIG, fault.race),
          fault: fault.id,
          origin: { engine: 'interleave', mode: 'exhaustive', reduction: true },
          scenario: fault.race,
          schedule: found.schedule,
          violation: found.violation,
        });
        if (tryWrite(io, 'trace', path, () => writeTrace(path, trace))) {
          raceTraces.set(fault.id, path);
          if (tryWrite(io, 'view', viewPathOf(path), () => writeTraceView(path)))
            raceViews.set(fault.id, viewPathOf(path));
        }
      }
      continue;
    }
    const { kill, explorer } = await judges.judged(fault, tick.onTick);
    const withExplorer = explorer ? { explorer } : {};
    const best = kill.best;
    if (!best) {
      rows.push({ kill, falseAlarm: false, ...withExplorer });
      continue;
    }
    const tracePath = join(outDir, traceFileName(`fault-${fault.id}`, flags.format));
    const written = tryWrite(io, 'trace', tracePath, () =>
      writeTrace(tracePath, faultTrace(fault, best)),
    );
    const viewPath = viewPathOf(tracePath);
    const viewed = written && tryWrite(io, 'view', viewPath, () => writeTraceView(tracePath));
    const falseAlarm = !passesUnfaulted(best);
    const paths = { ...(written ? { tracePath } : {}), ...(viewed ? { viewPath } : {}) };
    rows.push({ kill, falseAlarm, ...paths, ...withExplorer });
  }
  bar.stop();

  const raceMissed = races.filter(
    (r) => r.falseAlarm || r.random.kind !== 'violation' || r.exhaustive.failure === undefined,
  );
  const missed = [
    ...rows.filter((r) => !r.kill.best || r.falseAlarm).map((r) => r.kill.fault.id),
    ...raceMissed.map((r) => r.fault.id),
  ];
  const times = rows.flatMap((r) => (r.kill.best ? [r.kill.best.catchMs] : []));
  const med = median(times);
  const worst = Math.max(0, ...times);

  if (flags.json) {
    const json = {
      result: missed.length === 0 ? 'all-caught' : 'missed',
      seed,
      ...(parsed.shard === undefined ? {} : { shard: parsed.shard }),
      runs: runs ?? null,
      medianCatchMs: Math.round(med),
      worstCatchMs: Math.round(worst),
      races: races.map((r) => raceJson(r, raceTraces.get(r.fault.id), raceViews.get(r.fault.id))),
      faults: rows.map((row) => ({
        id: row.kill.fault.id,
        source: row.kill.fault.source,
        expected: row.kill.fault.caughtBy,
        caught: row.kill.best !== undefined && !row.falseAlarm,
        ...(row.falseAlarm ? { falseAlarm: true } : {}),
        ...(row.kill.best
          ? {
              caughtBy: caughtBy(row.kill.best),
              suite: row.kill.best.suite.name,
              run: row.kill.best.runs + 1,
              ops: row.kill.best.ops,
              catchMs: Math.round(row.kill.best.catchMs),
              shrunk: row.kill.best.shrunk.length,
              shrunkElements: elements(row.kill),
              withinExplorerPlus2: !tooLong(row),
              trace: row.tracePath,
              ...(row.viewPath ? { view: row.viewPath } : {}),
            }
          : {}),
        explorer: row.explorer ?? null,
        attempts: row.kill.attempts.map((a) =>
          a.kind === 'crashed'
            ? { suite: a.suite.name, caught: false, crashed: a.message }
            : a.kind === 'caught'
              ? {
                  suite: a.suite.name,
                  caught: true,
                  caughtBy: caughtBy(a),
                  run: a.runs + 1,
                  ops: a.ops,
                  catchMs: Math.round(a.catchMs),
                  totalMs: Math.round(a.totalMs),
                  shrunk: a.shrunk.length,
                }
              : {
                  suite: a.suite.name,
                  caught: false,
                  runs: a.runs,
                  ops: a.ops,
                  totalMs: Math.round(a.totalMs),
                },
        ),
      })),
    };
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    say();
    const style = stylerOf(io);
    for (const line of table(rows, widthOf(io), style)) say(line);
    say();
    say('run: the run that failed (1-based); ops: ops executed until the failing op;');
    say('~time: until the failing run started, plus one mean run (shrinking not included);');
    say('shrunk: ops in the shrunk counterexample (batch elements when they differ);');
    say(
      exploreMs > 0
        ? `explorer: shortest counterexample of the Xen-level explorer, ${DEFAULT_XEN_BOUNDS_NAME} cut to the fault's op kinds plus the extensions it declares (docs/faults.md), ${exploreMs / 1000} s per fault (none ≤d: no counterexample up to depth d)`
        : 'explorer: n/a (--explore-time 0)',
    );
    say();
    say(
      `time to first counterexample: median ${seconds(med)} (target < ${seconds(TARGET_MEDIAN_MS)}), worst ${seconds(worst)} (target < ${seconds(TARGET_WORST_MS)})`,
    );
    const written = rows.filter((r) => r.tracePath !== undefined).length;
    if (written > 0)
      say(`traces written: ${written} in ${outDir}/${traceFileName('fault-<id>', flags.format)}`);
    if (written > 0) say(`views written:  beside them, ${outDir}/fault-<id>.html`);
    if (races.length > 0) {
      say();
      say(
        'race faults (grantcheck interleave: caught by both modes, none by the sequential ones):',
      );
      for (const line of raceTable(races, widthOf(io), style)) say(line);
      say();
      say(
        'random: the run that failed, its time, and the shrunk case (program ops / scheduled steps);',
      );
      say("exhaustive: the schedules of the fault's canonical programs (sleep sets) run until the");
      say('catch, and the failing schedule with the fewest preemptions (steps, preemptions)');
      if (raceTraces.size > 0)
        say(`traces written: ${raceTraces.size} (replay prints them as columns; views: .html)`);
    }
    say(
      missed.length === 0
        ? style.pass(`ALL CAUGHT: ${rows.length + races.length} fault(s)`)
        : style.fail(`NOT CAUGHT: ${missed.join(', ')}`),
    );
  }
  return missed.length === 0 ? { kind: 'ok' } : { kind: 'violation' };
}

/** Random runs per race fault (each a short interleaved run). */
const RACE_RUNS = 10_000;

function raceTable(races: readonly RaceKill[], width: number, style: Styler): string[] {
  const head = ['fault', 'caught by', 'random run', '~time', 'shrunk', 'exhaustive', 'schedules'];
  const cells = races.map((r) => {
    const random = r.random;
    const found = r.exhaustive.failure;
    const by = random.kind === 'violation' ? random.found.violation.check : found?.violation.check;
    return [
      r.fault.id,
      r.falseAlarm ? `FALSE ALARM (${by ?? '?'})` : (by ?? 'NOT CAUGHT'),
      random.kind === 'violation' ? String(random.runs) : 'not caught',
      seconds(r.randomMs),
      random.kind === 'violation'
        ? `${programOps(random.found)} ops / ${random.found.schedule.length} steps`
        : '-',
      found ? `${found.schedule.length} steps, ${found.preemptions} preempt.` : 'not caught',
      String(r.exhaustive.schedules),
    ];
  });
  return columns(head, cells, width, style);
}

function raceJson(r: RaceKill, trace: string | undefined, view: string | undefined) {
  const found = r.exhaustive.failure;
  return {
    id: r.fault.id,
    source: r.fault.source,
    expected: r.fault.caughtBy,
    caught: !r.falseAlarm && r.random.kind === 'violation' && found !== undefined,
    falseAlarm: r.falseAlarm,
    random:
      r.random.kind === 'violation'
        ? {
            check: r.random.found.violation.check,
            run: r.random.runs,
            ms: Math.round(r.randomMs),
            shrunkOps: programOps(r.random.found),
            shrunkSteps: r.random.found.schedule.length,
          }
        : { caught: false, runs: r.random.runs, ms: Math.round(r.randomMs) },
    exhaustive: {
      schedules: r.exhaustive.schedules,
      ms: Math.round(r.exhaustiveMs),
      ...(found
        ? {
            check: found.violation.check,
            steps: found.schedule.length,
            preemptions: found.preemptions,
          }
        : { caught: false }),
    },
    trace: trace ?? null,
    view: view ?? null,
  };
}
