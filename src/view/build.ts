// The trace viewer's data: a trace replayed as `grantcheck replay` does (against its recorded
// fault), laid out as a sequence diagram (./diagram.ts) with the state after every step
// (./statePanel.ts). States come from the replay, never from the file.

import { findFault, subjectOf } from '../faults/index.ts';
import type { Fault } from '../faults/index.ts';
import { resultsEqual } from '../harness/results.ts';
import { runOps } from '../harness/run.ts';
import { abstract } from '../impl/index.ts';
import { clipText, quote } from '../input/index.ts';
import { describeStep } from '../interleave/columns.ts';
import { InterleavedRun, startOf } from '../interleave/run.ts';
import { replayInterleaved, scenarioOfTrace } from '../interleave/trace.ts';
import { scenarioProblem } from '../interleave/scenario.ts';
import { vcpusOf } from '../configDefaults.ts';
import type { ModelState } from '../model/state.ts';
import { opProblem } from '../ops/schema.ts';
import { formatOp, formatResult } from '../ops/text.ts';
import type { Trace } from '../trace/format.ts';
import { describeDifference, describeVerdict, replayTrace } from '../trace/replay.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import type { DiagramRow, InterleavedStep, Lane } from './diagram.ts';
import { interleavedRows, lanesOf, sequentialRows } from './diagram.ts';
import type { StatePanel } from './statePanel.ts';
import { statePanel } from './statePanel.ts';

/** Everything the page shows; embedded in it as JSON. */
export interface ViewData {
  readonly title: string;
  /** Header lines: verdict, fault, config, origin, and whether the replay matches the file. */
  readonly summary: readonly string[];
  /** The verdict of the replay in words ("pass", "result-mismatch at step 2"). */
  readonly verdict: string;
  /** The failing diagram step (0: the initial state), or null when the run passes. */
  readonly failing: number | null;
  readonly lanes: readonly Lane[];
  readonly rows: readonly DiagramRow[];
  /** panels[0] is the initial state, panels[n] the state after row n. */
  readonly panels: readonly StatePanel[];
}

export type ViewResult =
  { readonly ok: true; readonly view: ViewData } | { readonly ok: false; readonly error: string };

function faultOf(
  trace: Trace,
): { ok: true; fault: Fault | undefined } | { ok: false; error: string } {
  if (trace.fault === null) return { ok: true, fault: undefined };
  const fault = findFault(trace.fault);
  return fault
    ? { ok: true, fault }
    : { ok: false, error: `fault: no fault ${quote(trace.fault)} (see: grantcheck list)` };
}

function header(trace: Trace, verdict: string, extra: readonly string[]): string[] {
  const origin = trace.origin;
  const how =
    origin.engine === 'random'
      ? `random, suite ${origin.suite}, seed ${origin.seed}`
      : origin.engine === 'interleave'
        ? `interleave (${origin.mode})`
        : origin.engine;
  return [
    `verdict: ${verdict}`,
    `fault: ${trace.fault === null ? 'none (the correct impl)' : trace.fault}`,
    `config: ${trace.config.domains} domains; found by ${how}; written by ${clipText(trace.tool, 40)}`,
    ...extra,
  ];
}

/** Lay a validated trace out for the viewer, replaying it; an error when it cannot be run. */
export function buildView(trace: Trace, title: string): ViewResult {
  const found = faultOf(trace);
  if (!found.ok) return found;
  return trace.interleaving === undefined
    ? { ok: true, view: sequentialView(trace, title, found.fault) }
    : interleavedView(trace, title, found.fault);
}

function sequentialView(trace: Trace, title: string, fault: Fault | undefined): ViewData {
  const replay = replayTrace(trace, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    subject: subjectOf(fault),
  });
  const { report } = replay;
  const domains = trace.config.domains;
  const rows = sequentialRows(
    report.steps.map((s, i) => {
      const row = replay.rows[i];
      return {
        op: s.op,
        text: row?.op ?? formatOp(s.op),
        model: row?.model ?? formatResult(s.modelResult),
        impl: row?.impl ?? formatResult(s.implResult),
        mismatch: !resultsEqual(s.modelResult, s.implResult),
        ...(row?.failure === undefined ? {} : { failure: row.failure }),
      };
    }),
    domains,
  );
  const panels: StatePanel[] = [
    statePanel({ step: 0, previous: null, state: report.initialState }),
  ];
  let previous = report.initialState;
  report.steps.forEach((s, i) => {
    panels.push(statePanel({ step: i + 1, previous, state: s.modelState, impl: s.implState }));
    previous = s.modelState;
  });
  const verdict = describeVerdict(replay.verdict);
  const differences = replay.differences.map(describeDifference);
  const matches = replay.matchesRecorded
    ? 'replay: same as recorded'
    : `replay differs from the recorded run: ${clipText(differences[0] ?? '', 160)}${differences.length > 1 ? ` (and ${differences.length - 1} more)` : ''}`;
  const failure = report.failure;
  const initialFailure =
    failure?.step === -1 && replay.verdict.kind === 'violation'
      ? [`initial state fails: ${replay.verdict.message}`]
      : [];
  return {
    title,
    summary: header(trace, verdict, [matches, ...initialFailure]),
    verdict,
    failing: failure === null ? null : failure.step + 1,
    lanes: lanesOf(domains),
    rows,
    panels,
  };
}

function interleavedView(trace: Trace, title: string, fault: Fault | undefined): ViewResult {
  const scenario = scenarioOfTrace(trace);
  if (scenario === undefined) return { ok: false, error: 'no interleaving' };
  const problem =
    scenarioProblem(scenario, trace.config.domains, vcpusOf(trace.config)) ??
    [...scenario.setup, ...scenario.actors.flatMap((a) => a.ops)]
      .map((op) => opProblem(op, trace.config))
      .find((p) => p !== null) ??
    null;
  if (problem !== null) return { ok: false, error: `interleaving: ${problem}` };
  const domains = trace.config.domains;
  const parts = fault?.parts ?? {};
  const replay = replayInterleaved(trace, scenario, parts, INVARIANTS);

  // The setup, run sequentially as the other engines run ops: both results and both states.
  const setup = runOps(trace.config, scenario.setup, {
    invariants: [],
    properties: [],
    subject: subjectOf(fault),
  });
  const setupRows = sequentialRows(
    setup.steps.map((s) => ({
      op: s.op,
      text: formatOp(s.op),
      model: formatResult(s.modelResult),
      impl: formatResult(s.implResult),
      mismatch: !resultsEqual(s.modelResult, s.implResult),
    })),
    domains,
    'setup',
  );
  const panels: StatePanel[] = [statePanel({ step: 0, previous: null, state: setup.initialState })];
  // Setup panels show the model's states (abstract(impl) beside them), so what changed is
  // measured model to model; the schedule's panels show abstract(impl), from the last one's.
  let previous: ModelState = setup.initialState;
  setup.steps.forEach((s, i) => {
    panels.push(statePanel({ step: i + 1, previous, state: s.modelState, impl: s.implState }));
    previous = s.modelState;
  });
  previous = setup.steps.at(-1)?.implState ?? setup.initialState;

  // The schedule, stepped again to see abstract(impl) after every step (no model state exists
  // between the linearization points of racing ops).
  const run = new InterleavedRun(startOf(trace.config, parts, scenario), true);
  const steps: InterleavedStep[] = [];
  const first = setupRows.length + 1;
  for (const actor of replay.schedule) {
    if (!run.enabled(actor)) break;
    run.step(actor);
    const e = run.events?.[run.events.length - 1];
    const op = scenario.actors[actor]?.ops[e?.opIndex ?? 0];
    if (e === undefined || op === undefined) break;
    // The result has its own place in the row: the step's text is what the actor did.
    const { result, ...did } = e;
    steps.push({
      actor,
      op,
      text: describeStep(did, scenario),
      ...(result === undefined ? {} : { impl: formatResult(result) }),
    });
    const now = abstract(run.system);
    panels.push(
      statePanel({ step: first + steps.length - 1, previous, state: now, shows: 'abstract(impl)' }),
    );
    previous = now;
  }
  const v = replay.violation;
  const position = replay.verdict.kind === 'violation' ? replay.verdict.step : -1;
  const failureText =
    v === null ? '' : `${v.check}${v.check === 'invariant' ? ` ${v.name}` : ''}: ${v.message}`;
  const runRows = interleavedRows(
    steps,
    domains,
    first,
    v !== null && position >= 0 ? { position, text: failureText } : undefined,
  );
  const verdict = describeVerdict(replay.verdict);
  const failing = v === null ? null : position >= 0 ? first + position : 0;
  return {
    ok: true,
    view: {
      title,
      summary: header(trace, verdict, [
        `${scenario.actors.length} actors racing after a setup of ${scenario.setup.length} ops; states between ops are abstract(impl)`,
        ...(v !== null && position < 0 ? [`fails before the first step: ${failureText}`] : []),
      ]),
      verdict,
      failing,
      lanes: lanesOf(domains, scenario.actors),
      rows: [...setupRows, ...runRows],
      panels,
    },
  };
}
