// `grantcheck interleave`: guest and hypervisor racing on shared grant entries. Random mode:
// fast-check draws actor programs and schedules; exhaustive mode: every schedule of the fixed
// programs (sleep-set reduction, fewest preemptions first). Against a fault with a race search,
// its setup and actors; otherwise the default race (properties/interleave.ts).

import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { DEFAULT_CONFIG, GrantConfigSchema, MAX_VCPUS, vcpusOf } from '../../config.ts';
import { raceConfig } from '../../faults/race.ts';
import { findFault } from '../../faults/index.ts';
import type { RaceSearch } from '../../faults/fault.ts';
import { exploreFewestPreemptions } from '../../interleave/exhaustive.ts';
import { randomInterleavings, runScheduled } from '../../interleave/random.ts';
import { startOf } from '../../interleave/run.ts';
import type { Scenario } from '../../interleave/scenario.ts';
import { actorName, scenarioProblem } from '../../interleave/scenario.ts';
import { renderColumns } from '../../interleave/columns.ts';
import type { InterleaveViolation } from '../../interleave/check.ts';
import { buildInterleavedTrace } from '../../interleave/trace.ts';
import { escapeText, safeJson } from '../../input/index.ts';
import type { TraceOrigin } from '../../trace/format.ts';
import { writeTrace } from '../../trace/io.ts';
import { viewPathOf, writeTraceView } from '../../view/index.ts';
import { TOOL } from '../../version.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { raceOpArbitrary } from '../../../properties/generators/interleave.ts';
import { DEFAULT_RACE, RACE_TARGETS, vcpuRace } from '../../../properties/interleave.ts';
import { stylerOf } from '../colour.ts';
import { verdictJson } from '../json.ts';
import { startProgress } from '../progress.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { checkOutDir, parseIntOption } from '../options.ts';
import { writeError } from '../write.ts';
import { DEFAULT_TRACE_DIR } from './run.ts';

export interface InterleaveFlags {
  readonly fault?: string;
  readonly vcpus?: string;
  readonly mode?: string;
  readonly seed?: string;
  readonly runs?: string;
  readonly maxOps?: string;
  readonly preemptions?: string;
  readonly reduction?: boolean;
  readonly out?: string;
  readonly json?: boolean;
}

export const MODES = ['random', 'exhaustive', 'both'] as const;

interface Found {
  readonly mode: 'random' | 'exhaustive';
  readonly scenario: Scenario;
  readonly schedule: readonly number[];
  readonly violation: InterleaveViolation;
  readonly origin: TraceOrigin;
  readonly detail: string;
}

/** The race to run: the fault's (with `vcpus` vCPUs per domain when given), else the default
 * race, or with `vcpus` > 1 the race of that many vCPUs of one domain on its maptrack. */
function chooseRace(faultRace: RaceSearch | undefined, vcpus: number | undefined): RaceSearch {
  if (faultRace !== undefined) {
    return vcpus === undefined
      ? faultRace
      : { ...faultRace, config: { ...faultRace.config, vcpus } };
  }
  return vcpus !== undefined && vcpus > 1 ? vcpuRace(vcpus) : DEFAULT_RACE;
}

export function interleaveCommand(flags: InterleaveFlags, io: Io): CliOutcome {
  const mode = flags.mode ?? 'both';
  if (!(MODES as readonly string[]).includes(mode)) {
    return { kind: 'usage', message: `--mode: '${mode}' is not one of ${MODES.join(', ')}` };
  }
  // A flag of the mode not run would be ignored: refused instead, as explore refuses its own.
  const modeOnly: [string, unknown, 'random' | 'exhaustive'][] = [
    ['--seed', flags.seed, 'random'],
    ['--runs', flags.runs, 'random'],
    ['--max-ops', flags.maxOps, 'random'],
    ['--preemptions', flags.preemptions, 'exhaustive'],
    ['--no-reduction', flags.reduction === false ? true : undefined, 'exhaustive'],
  ];
  for (const [flag, value, only] of modeOnly) {
    if (value !== undefined && mode !== only && mode !== 'both') {
      return {
        kind: 'usage',
        message: `${flag} applies to the ${only} mode (--mode ${only} or both), not --mode ${mode}`,
      };
    }
  }
  const seed = parseIntOption('seed', flags.seed, 0, 2 ** 31 - 1) ?? randomInt(2 ** 31 - 1);
  const runs = parseIntOption('runs', flags.runs, 1, 1_000_000) ?? 300;
  const maxOps = parseIntOption('max-ops', flags.maxOps, 1, 8) ?? 3;
  const bound = parseIntOption('preemptions', flags.preemptions, 0, 64);
  const reduction = flags.reduction !== false;
  const outDir = checkOutDir('out', flags.out ?? DEFAULT_TRACE_DIR);
  const fault = flags.fault === undefined ? undefined : findFault(flags.fault);
  if (flags.fault !== undefined && !fault) {
    return { kind: 'usage', message: `--fault: no fault '${flags.fault}' (see: grantcheck list)` };
  }
  const vcpus = parseIntOption('vcpus', flags.vcpus, 1, MAX_VCPUS);
  const race = chooseRace(fault?.race, vcpus);
  const parts = fault?.parts ?? {};
  const config = GrantConfigSchema.parse(raceConfig(DEFAULT_CONFIG, race));
  const fixed: Scenario = { setup: race.setup, actors: race.actors };
  const problem = scenarioProblem(fixed, config.domains, vcpusOf(config));
  if (problem !== null) {
    if (vcpus !== undefined) return { kind: 'usage', message: `--vcpus ${vcpus}: ${problem}` };
    return { kind: 'internal', error: new Error(`race search: ${problem}`) };
  }

  const say = (line: string) => {
    if (!flags.json) io.out(`${line}\n`);
  };
  const style = stylerOf(io);
  const actorsText = race.actors.map((a, i) => `a${i} ${actorName(a)}`).join(', ');
  say(
    `grantcheck interleave: ${race.actors.length} actors (${actorsText}), setup ${race.setup.length} ops${fault ? `, fault ${fault.id}` : ''}`,
  );
  const summary: Record<string, unknown> = { fault: fault?.id ?? null };
  let found: Found | undefined;

  if (mode !== 'exhaustive') {
    const started = performance.now();
    const bar = startProgress(io, flags.json, { label: 'interleave', unit: 'runs', total: runs });
    const o = randomInterleavings({
      config,
      parts,
      setup: race.setup,
      actors: race.actors,
      arbitrary: (kind, dom) => raceOpArbitrary(kind, dom, RACE_TARGETS),
      invariants: INVARIANTS,
      seed,
      runs,
      maxOps,
      // past `runs`, fast-check is shrinking a failure: the bar stays full
      ...(bar.active
        ? { onRun: (n: number) => bar.update(Math.min(n, runs), n > runs ? 'shrinking' : '') }
        : {}),
    });
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    summary['random'] = { seed, runs: o.runs, result: o.kind, seconds };
    say(
      `random: seed ${seed}${flags.seed === undefined ? ' (fresh)' : ''}, ${o.runs} runs${o.kind === 'pass' ? `, ${o.steps} steps` : ''}, ${seconds.toFixed(1)} s: ${o.kind === 'pass' ? style.pass('PASS') : style.fail('VIOLATION')}`,
    );
    if (o.kind === 'violation') {
      found = {
        mode: 'random',
        ...o.found,
        origin: { engine: 'interleave', mode: 'random', seed, path: o.path, runs },
        detail: `seed ${seed}, path ${o.path}`,
      };
    }
  }
  if (found === undefined && mode !== 'random') {
    const started = performance.now();
    const start = startOf(config, parts, fixed);
    const bar = startProgress(io, flags.json, { label: 'interleave', unit: 'schedules' });
    let schedules = 0;
    const o = exploreFewestPreemptions(start, {
      reduction,
      invariants: INVARIANTS,
      ...(bound !== undefined ? { preemptionBound: bound } : {}),
      ...(bar.active ? { onSchedule: () => bar.update(++schedules) } : {}),
    });
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    const programs = race.actors.map((a) => a.ops.length).join('+');
    // Sleep sets are off under a preemption bound (src/interleave/exhaustive.ts).
    const reduced = reduction && bound === undefined;
    summary['exhaustive'] = {
      schedules: o.schedules,
      steps: o.steps,
      reduction: reduced,
      preemptionBound: bound ?? null,
      result: o.failure ? 'violation' : 'pass',
      seconds,
    };
    say(
      `exhaustive: programs of ${programs} ops, ${o.schedules} schedules (${reduced ? 'sleep-set reduction' : 'no reduction'}${bound !== undefined ? `, at most ${bound} preemptions` : ''}), ${seconds.toFixed(1)} s: ${o.failure ? style.fail('VIOLATION') : style.pass('PASS')}`,
    );
    if (o.failure) {
      found = {
        mode: 'exhaustive',
        scenario: fixed,
        schedule: o.failure.schedule,
        violation: o.failure.violation,
        origin: {
          engine: 'interleave',
          mode: 'exhaustive',
          reduction: reduced,
          ...(bound !== undefined ? { preemptionBound: bound } : {}),
        },
        detail: `${o.failure.preemptions} preemptions`,
      };
    }
  }
  if (found === undefined) {
    if (flags.json) io.out(`${safeJson({ result: 'pass', ...summary }, 2)}\n`);
    return { kind: 'ok' };
  }
  return report(found, { config, fault: fault?.id ?? null, parts, outDir, flags, io, summary });
}

function report(
  found: Found,
  ctx: {
    config: ReturnType<typeof GrantConfigSchema.parse>;
    fault: string | null;
    parts: Parameters<typeof runScheduled>[1];
    outDir: string;
    flags: InterleaveFlags;
    io: Io;
    summary: Record<string, unknown>;
  },
): CliOutcome {
  const { io, flags } = ctx;
  const trace = buildInterleavedTrace({
    tool: TOOL,
    config: ctx.config,
    fault: ctx.fault,
    origin: found.origin,
    scenario: found.scenario,
    schedule: found.schedule,
    violation: found.violation,
  });
  const path = join(ctx.outDir, `interleave-${found.mode}${ctx.fault ? `-${ctx.fault}` : ''}.json`);
  const error = writeError(() => writeTrace(path, trace));
  // The HTML page beside the trace (src/view: one lane per actor), as run and faults write.
  const viewPath = viewPathOf(path);
  const viewError = error ? 'no trace' : writeError(() => writeTraceView(path));
  if (!error && viewError) io.err(`grantcheck: cannot write view ${viewPath}: ${viewError}\n`);
  if (flags.json) {
    // The step it failed at, 1-based as everywhere in the CLI's JSON (src/cli/json.ts), in
    // place of the 0-based schedule position.
    const violation: Record<string, unknown> = { ...found.violation };
    delete violation['position'];
    const v = verdictJson(trace.verdict);
    const at = v.kind === 'violation' ? { step: v.step } : {};
    io.out(
      `${safeJson({ result: 'violation', ...ctx.summary, violation: { ...violation, ...at }, schedule: found.schedule, trace: error ? null : path, view: viewError ? null : viewPath }, 2)}\n`,
    );
    return { kind: 'violation' };
  }
  const v = found.violation;
  const style = stylerOf(io);
  io.out(
    `\n${style.fail(`VIOLATION (${found.mode}, ${found.detail}): ${v.check}${v.check === 'invariant' ? ` ${v.name}` : ''}`)}: ${escapeText(v.message)}\n\n`,
  );
  const again = runScheduled(
    ctx.config,
    ctx.parts,
    found.scenario,
    found.schedule,
    INVARIANTS,
    true,
  );
  const failingStep = v.check === 'invariant' ? v.position : found.schedule.length - 1;
  for (const line of renderColumns(
    again.run.events ?? [],
    found.scenario,
    undefined,
    failingStep,
  )) {
    io.out(`${line}\n`);
  }
  if (error) io.out(`\ntrace NOT written (${path}: ${error})\n`);
  else io.out(`\ntrace written: ${path}\nreplay:        npx grantcheck replay ${path}\n`);
  if (!viewError) io.out(`view:          ${viewPath}\n`);
  return { kind: 'violation' };
}
