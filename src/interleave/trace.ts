// Interleaved runs as traces (src/trace/format.ts, `interleaving`) and back: a failing case is
// written with its setup, programs and schedule; replaying re-runs exactly that schedule and
// lays the run out as columns (./columns.ts).

import type { GrantConfig } from '../config.ts';
import type { StateInvariant } from '../harness/invariant.ts';
import type { ImplParts } from '../impl/index.ts';
import { initialState } from '../model/index.ts';
import type { Trace, TraceOrigin, TraceVerdict } from '../trace/format.ts';
import { TRACE_FORMAT, TRACE_VERSION } from '../trace/format.ts';
import { stateToJson } from '../trace/stateJson.ts';
import type { InterleaveViolation } from './check.ts';
import { runScheduled } from './random.ts';
import type { StepEvent } from './run.ts';
import type { Scenario } from './scenario.ts';

export function interleaveVerdict(
  v: InterleaveViolation | null,
  schedule: readonly number[],
): TraceVerdict {
  if (v === null) return { kind: 'pass' };
  const step = v.check === 'invariant' ? v.position : schedule.length - 1;
  return {
    kind: 'violation',
    step,
    check: v.check,
    ...(v.check === 'invariant' ? { name: v.name, side: 'impl' as const } : {}),
    message: v.message,
  };
}

export function buildInterleavedTrace(args: {
  readonly tool: string;
  readonly config: GrantConfig;
  readonly fault: string | null;
  readonly origin: TraceOrigin;
  readonly scenario: Scenario;
  readonly schedule: readonly number[];
  readonly violation: InterleaveViolation | null;
}): Trace {
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    tool: args.tool,
    config: args.config,
    fault: args.fault,
    origin: args.origin,
    verdict: interleaveVerdict(args.violation, args.schedule),
    initialState: stateToJson(initialState(args.config)),
    steps: [],
    interleaving: {
      setup: args.scenario.setup,
      actors: args.scenario.actors.map((a) =>
        a.vcpu ? { dom: a.dom, vcpu: a.vcpu, ops: a.ops } : { dom: a.dom, ops: a.ops },
      ),
      schedule: args.schedule,
    },
  };
}

export function scenarioOfTrace(trace: Trace): Scenario | undefined {
  const i = trace.interleaving;
  return i === undefined ? undefined : { setup: i.setup, actors: i.actors };
}

export interface InterleavedReplay {
  readonly events: readonly StepEvent[];
  readonly violation: InterleaveViolation | null;
  readonly verdict: TraceVerdict;
  /** The schedule as run; it differs from the recorded one only if the run ended sooner. */
  readonly schedule: readonly number[];
}

/** Re-run an interleaved trace's schedule with `parts` (its fault's, or none). */
export function replayInterleaved(
  trace: Trace,
  scenario: Scenario,
  parts: Partial<ImplParts>,
  invariants: readonly StateInvariant[],
): InterleavedReplay {
  const schedule = trace.interleaving?.schedule ?? [];
  const { run, violation } = runScheduled(
    trace.config,
    parts,
    scenario,
    schedule,
    invariants,
    true,
  );
  return {
    events: run.events ?? [],
    violation,
    verdict: interleaveVerdict(violation, run.schedule),
    schedule: run.schedule,
  };
}
