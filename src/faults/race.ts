// A race fault through grantcheck interleave (src/interleave): random mode with a fixed seed, and
// the exhaustive mode over its canonical programs (fewest preemptions first). Each catch is run
// again on the correct impl: a schedule that fails there too is a false alarm.

import type { GrantConfig } from '../config.ts';
import type { StateInvariant } from '../harness/invariant.ts';
import type { InterleaveCase, RandomOutcome } from '../interleave/random.ts';
import { randomInterleavings, runScheduled } from '../interleave/random.ts';
import type { ExhaustiveOutcome } from '../interleave/exhaustive.ts';
import { exploreFewestPreemptions } from '../interleave/exhaustive.ts';
import { startOf } from '../interleave/run.ts';
import type { Fault, RaceSearch } from './fault.ts';

export interface RaceKill {
  readonly fault: Fault;
  readonly random: RandomOutcome;
  readonly randomMs: number;
  readonly exhaustive: ExhaustiveOutcome;
  readonly exhaustiveMs: number;
  /** A caught case that fails on the correct impl too. */
  readonly falseAlarm: boolean;
}

export interface RaceKillOptions {
  readonly config: GrantConfig;
  readonly seed: number;
  readonly runs: number;
  readonly maxOps: number;
  readonly invariants: readonly StateInvariant[];
  readonly arbitrary: Parameters<typeof randomInterleavings>[0]['arbitrary'];
  /** Called at every random run and every schedule (progress, and the CLI's Ctrl-C check). */
  readonly onTick?: () => void;
}

/** `base` with what the race needs of the config (RaceSearch.config). */
export function raceConfig(base: GrantConfig, race: RaceSearch | undefined): GrantConfig {
  return race?.config === undefined ? base : { ...base, ...race.config };
}

export function killRace(fault: Fault, raceOptions: RaceKillOptions): RaceKill | undefined {
  const race = fault.race;
  if (race === undefined) return undefined;
  const options = { ...raceOptions, config: raceConfig(raceOptions.config, race) };
  const t0 = performance.now();
  const random = randomInterleavings({
    config: options.config,
    parts: fault.parts,
    setup: race.setup,
    actors: race.actors,
    arbitrary: options.arbitrary,
    invariants: options.invariants,
    seed: options.seed,
    runs: options.runs,
    maxOps: options.maxOps,
    ...(options.onTick === undefined ? {} : { onRun: options.onTick }),
  });
  const randomMs = performance.now() - t0;
  const t1 = performance.now();
  const fixed = { setup: race.setup, actors: race.actors };
  const exhaustive = exploreFewestPreemptions(startOf(options.config, fault.parts, fixed), {
    reduction: true,
    invariants: options.invariants,
    ...(options.onTick === undefined ? {} : { onSchedule: options.onTick }),
  });
  const exhaustiveMs = performance.now() - t1;
  const cases: InterleaveCase[] = [];
  if (random.kind === 'violation') cases.push(random.found);
  if (exhaustive.failure) {
    cases.push({
      scenario: fixed,
      schedule: exhaustive.failure.schedule,
      violation: exhaustive.failure.violation,
    });
  }
  // A setup that already fails, or an impl that throws, is not the race being caught.
  const real = (c: InterleaveCase) =>
    c.violation.check !== 'setup' && c.violation.check !== 'crash';
  if (!cases.every(real))
    return { fault, random, randomMs, exhaustive, exhaustiveMs, falseAlarm: true };
  const falseAlarm = cases.some(
    (c) =>
      runScheduled(options.config, {}, c.scenario, c.schedule, options.invariants).violation !==
      null,
  );
  return { fault, random, randomMs, exhaustive, exhaustiveMs, falseAlarm };
}

/** Ops in a case's programs. */
export function programOps(c: InterleaveCase): number {
  return c.scenario.actors.reduce((n, a) => n + a.ops.length, 0);
}
