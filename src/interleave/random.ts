// Random interleavings: fast-check draws each actor's program (ops acting for the actor's
// domain, from properties/generators/interleave.ts) and a schedule (a list of actor ids: "run
// this actor next"; an id whose actor cannot move stands for the next one that can, and once the
// list is used up the lowest enabled actor runs). A failing case shrinks programs and schedule
// together.

import fc from 'fast-check';
import type { GrantConfig } from '../config.ts';
import type { StateInvariant } from '../harness/invariant.ts';
import type { ImplParts } from '../impl/index.ts';
import type { DomId, Op, OpKind } from '../ops/op.ts';
import type { InterleaveViolation } from './check.ts';
import { finalVerdict, invariantsNow } from './check.ts';
import { InterleavedRun, startOf } from './run.ts';
import type { ActorProgram, Scenario } from './scenario.ts';
import { onActorVcpu } from './scenario.ts';

export interface RandomActor {
  readonly dom: DomId;
  /** The actor's vCPU of `dom` (absent: 0): its map ops name it. */
  readonly vcpu?: number;
  readonly kinds: readonly OpKind[];
}

export interface RandomOptions {
  readonly config: GrantConfig;
  readonly parts: Partial<ImplParts>;
  readonly setup: readonly Op[];
  readonly actors: readonly RandomActor[];
  /** Ops of `kind` acting for `dom` (properties/generators/interleave.ts). */
  readonly arbitrary: (kind: OpKind, dom: DomId) => fc.Arbitrary<Op>;
  readonly invariants: readonly StateInvariant[];
  readonly seed: number;
  readonly runs: number;
  /** Ops per actor program: 1 to this. */
  readonly maxOps: number;
  /** Called after every run, shrinking's included (progress, and a Ctrl-C check within it):
   * with the runs so far, which exceed `runs` while a failure shrinks. */
  readonly onRun?: (runs: number) => void;
}

export interface InterleaveCase {
  readonly scenario: Scenario;
  /** The actor of each step, as run (the drawn list resolved to enabled actors). */
  readonly schedule: readonly number[];
  readonly violation: InterleaveViolation;
}

export type RandomOutcome =
  | { readonly kind: 'pass'; readonly runs: number; readonly steps: number }
  | {
      readonly kind: 'violation';
      readonly runs: number;
      readonly found: InterleaveCase;
      /** fast-check's replay data for the shrunk case. */
      readonly seed: number;
      readonly path: string;
    };

/** Run `scenario` under `drawn` (a list of actor ids); the run and its first violation. */
export function runScheduled(
  config: GrantConfig,
  parts: Partial<ImplParts>,
  scenario: Scenario,
  drawn: readonly number[],
  invariants: readonly StateInvariant[],
  record = false,
): { run: InterleavedRun; violation: InterleaveViolation | null } {
  const run = new InterleavedRun(startOf(config, parts, scenario), record);
  const atStart = invariantsNow(run, -1, invariants);
  if (atStart !== null) return { run, violation: atStart };
  const n = run.actorCount;
  for (let i = 0; run.broken === undefined; i++) {
    const enabled = run.enabledActors();
    if (enabled.length === 0) break;
    const wanted = drawn[i];
    let actor = enabled[0] ?? 0;
    if (wanted !== undefined) {
      for (let k = 0; k < n; k++) {
        if (run.enabled((wanted + k) % n)) {
          actor = (wanted + k) % n;
          break;
        }
      }
    }
    run.step(actor);
    if (run.quiescent) {
      const bad = invariantsNow(run, run.schedule.length - 1, invariants);
      if (bad !== null) return { run, violation: bad };
    }
  }
  return { run, violation: finalVerdict(run) };
}

/** The actor's ops on its vCPU; unchanged (the same arbitrary) for vCPU 0. */
function onVcpu(ops: fc.Arbitrary<Op>, actor: RandomActor): fc.Arbitrary<Op> {
  return actor.vcpu ? ops.map((op) => onActorVcpu(op, actor)) : ops;
}

export function randomInterleavings(options: RandomOptions): RandomOutcome {
  const { actors } = options;
  const input = fc.record({
    programs: fc.tuple(
      ...actors.map((a) =>
        fc.array(fc.oneof(...a.kinds.map((k) => onVcpu(options.arbitrary(k, a.dom), a))), {
          minLength: 1,
          maxLength: options.maxOps,
        }),
      ),
    ),
    schedule: fc.array(fc.nat({ max: actors.length - 1 }), { maxLength: 64 }),
  });
  const scenarioOf = (programs: readonly (readonly Op[])[]): Scenario => ({
    setup: options.setup,
    actors: actors.map((a, i): ActorProgram =>
      a.vcpu
        ? { dom: a.dom, vcpu: a.vcpu, ops: programs[i] ?? [] }
        : { dom: a.dom, ops: programs[i] ?? [] },
    ),
  });
  let runs = 0;
  let steps = 0;
  const details = fc.check(
    fc.property(input, ({ programs, schedule }) => {
      runs++;
      const { run, violation } = runScheduled(
        options.config,
        options.parts,
        scenarioOf(programs),
        schedule,
        options.invariants,
      );
      steps += run.schedule.length;
      options.onRun?.(runs);
      return violation === null;
    }),
    { seed: options.seed, numRuns: options.runs },
  );
  const counterexample = details.counterexample?.[0];
  if (!details.failed || counterexample === undefined) return { kind: 'pass', runs, steps };
  const scenario = scenarioOf(counterexample.programs);
  const again = runScheduled(
    options.config,
    options.parts,
    scenario,
    counterexample.schedule,
    options.invariants,
  );
  if (again.violation === null)
    throw new Error('interleave: the shrunk case passed when run again');
  return {
    kind: 'violation',
    // The failing run's number (fast-check also runs the property while shrinking).
    runs: details.numRuns,
    found: { scenario, schedule: again.run.schedule, violation: again.violation },
    seed: options.seed,
    path: details.counterexamplePath ?? '',
  };
}
