// A counterexample of the core protocol model as a trace: the same versioned envelope as Xen-level
// traces (format "grantcheck-trace", version 1) with the discriminator `model: "core"`, the core
// config and variant, and each step's action (text form) and state. Replayed by replayCoreTrace.

import { z } from 'zod';
import {
  clipText,
  printable,
  quote,
  readJsonFile,
  TRACE_LIMITS,
  validate,
} from '../input/index.ts';
import { writeFileAtomic } from '../output/files.ts';
import type { RecordedDifference } from '../trace/replay.ts';
import type { CoreAction } from './action.ts';
import { coreActionRangeProblem, formatCoreAction, parseCoreAction } from './action.ts';
import { coreConfigProblems } from './config.ts';
import type { CoreModel } from './model.ts';
import { coreModel } from './model.ts';
import type { CoreVariant } from './step.ts';

const VARIANTS = [
  'correct',
  'end-access-ignores-mappings',
] as const satisfies readonly CoreVariant[];

/** Every string of a core trace is printed by replay: one line, no control characters. A state
 * description of the largest core config is a few hundred characters. */
const line = printable(200);
const text = printable(10_000);

export const CoreTraceSchema = z
  .object({
    format: z.literal('grantcheck-trace'),
    version: z.literal(1),
    /** The discriminator: absent on Xen-level traces. */
    model: z.literal('core'),
    tool: line,
    config: z
      .object({
        domains: z.number().int(),
        refs: z.number().int(),
        frames: z.number().int(),
        maxPin: z.number().int(),
      })
      .strict(),
    variant: z.enum(VARIANTS),
    origin: z
      .object({
        engine: z.literal('explore'),
        model: line,
        bounds: z.record(line, z.union([z.number(), line, z.boolean()])),
      })
      .strict(),
    verdict: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('pass') }).strict(),
      z
        .object({
          kind: z.literal('violation'),
          /** 0-based index of the step after which the invariant fails; -1: the initial state. */
          step: z.number().int().min(-1),
          check: z.literal('invariant'),
          name: line,
          message: text,
        })
        .strict(),
    ]),
    initialState: text,
    steps: z.array(z.object({ action: line, state: text }).strict()),
  })
  .strict();

export type CoreTrace = z.infer<typeof CoreTraceSchema>;
export type CoreTraceVerdict = CoreTrace['verdict'];

/** A trace's header fields say it is a core trace (whether or not it is valid). */
export function isCoreTrace(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'model' in value && value.model === 'core';
}

export function buildCoreTrace(args: {
  readonly tool: string;
  readonly model: CoreModel;
  readonly bounds: Readonly<Record<string, number | string | boolean>>;
  readonly path: readonly CoreAction[];
  readonly states: readonly number[];
  readonly violated: { readonly name: string; readonly statement: string } | null;
}): CoreTrace {
  const { model } = args;
  const describe = (s: number): string => model.formatState?.(s) ?? String(s);
  return {
    format: 'grantcheck-trace',
    version: 1,
    model: 'core',
    tool: args.tool,
    config: { ...model.config },
    variant: model.variant,
    origin: { engine: 'explore', model: model.name, bounds: { ...args.bounds } },
    verdict: args.violated
      ? {
          kind: 'violation',
          step: args.path.length - 1,
          check: 'invariant',
          name: args.violated.name,
          message: args.violated.statement,
        }
      : { kind: 'pass' },
    initialState: describe(args.states[0] ?? model.initial()),
    steps: args.path.map((a, i) => ({
      action: formatCoreAction(a),
      state: describe(args.states[i + 1] ?? model.initial()),
    })),
  };
}

export type CoreTraceLoad =
  { readonly ok: true; readonly trace: CoreTrace } | { readonly ok: false; readonly error: string };

export function parseCoreTrace(value: unknown): CoreTraceLoad {
  const parsed = validate(CoreTraceSchema, value);
  if (!parsed.ok) return parsed;
  const trace = parsed.value;
  const problems = coreConfigProblems(trace.config);
  if (problems.length > 0) return { ok: false, error: `config: ${problems.join('; ')}` };
  for (const [i, step] of trace.steps.entries()) {
    const action = parseCoreAction(step.action);
    if (!action) {
      return { ok: false, error: `steps.${i}.action: not a core action: ${quote(step.action)}` };
    }
    const problem = coreActionRangeProblem(action, trace.config);
    if (problem) return { ok: false, error: `steps.${i}.action ${quote(step.action)}: ${problem}` };
  }
  return { ok: true, trace };
}

/** Read, parse (within TRACE_LIMITS) and validate a core trace file; another kind of trace is
 * named as such, not by the first field it lacks. */
export function loadCoreTrace(path: string): CoreTraceLoad {
  const read = readJsonFile(path, TRACE_LIMITS);
  if (!read.ok) return read;
  const value = read.value;
  if (!isCoreTrace(value) && typeof value === 'object' && value !== null && 'format' in value) {
    const error = "not a core trace (grantcheck replay takes every kind of grantcheck's traces)";
    return { ok: false, error };
  }
  return parseCoreTrace(value);
}

/** Whole or not at all, as writeTrace does (src/output/files.ts). */
export function writeCoreTrace(path: string, trace: CoreTrace): void {
  writeFileAtomic(path, `${JSON.stringify(trace, null, 1)}\n`);
}

export interface CoreReplayRow {
  readonly action: string;
  /** False when the action is not enabled in the state before it (the replay stops there). */
  readonly enabled: boolean;
  readonly state: string;
  /** The invariant broken after this step, if any. */
  readonly broken?: string;
}

export interface CoreReplay {
  readonly rows: readonly CoreReplayRow[];
  readonly verdict: CoreTraceVerdict | { readonly kind: 'disabled'; readonly step: number };
  /** Same verdict kind, step and invariant as recorded, and every recorded state the same. */
  readonly matchesRecorded: boolean;
  /** Every disagreement with the recorded run (verdict, states); empty iff matchesRecorded. */
  readonly differences: readonly RecordedDifference[];
}

/** A core verdict in words; strings from the file are escaped and clipped. */
export function describeCoreVerdict(v: CoreReplay['verdict']): string {
  if (v.kind === 'pass') return 'pass';
  const where = v.step === -1 ? 'the initial state' : `step ${v.step + 1}`;
  if (v.kind === 'disabled') return `action not enabled at ${where}`;
  return `invariant ${clipText(v.name, 60)} at ${where}`;
}

/** Re-run the actions from the initial state of the recorded config and variant (or `variant`),
 * checking every invariant after every step. */
export function replayCoreTrace(trace: CoreTrace, variant?: CoreVariant): CoreReplay {
  const model = coreModel(trace.config, { variant: variant ?? trace.variant });
  const describe = (s: number): string => model.formatState?.(s) ?? String(s);
  const broken = (s: number) => model.invariants.find((inv) => !inv.holds(s));
  let s = model.initial();
  const rows: CoreReplayRow[] = [];
  let verdict: CoreReplay['verdict'] = { kind: 'pass' };
  const atStart = broken(s);
  if (atStart) {
    verdict = {
      kind: 'violation',
      step: -1,
      check: 'invariant',
      name: atStart.name,
      message: atStart.statement,
    };
  } else {
    for (const [i, step] of trace.steps.entries()) {
      const action = parseCoreAction(step.action);
      const t = action ? model.step(s, action) : null;
      if (t === null) {
        rows.push({ action: step.action, enabled: false, state: describe(s) });
        verdict = { kind: 'disabled', step: i };
        break;
      }
      s = t;
      const inv = broken(s);
      rows.push({
        action: step.action,
        enabled: true,
        state: describe(s),
        ...(inv ? { broken: inv.name } : {}),
      });
      if (inv) {
        verdict = {
          kind: 'violation',
          step: i,
          check: 'invariant',
          name: inv.name,
          message: inv.statement,
        };
        break;
      }
    }
  }
  const recorded = trace.verdict;
  const sameVerdict =
    verdict.kind === recorded.kind &&
    (verdict.kind !== 'violation' ||
      (recorded.kind === 'violation' &&
        verdict.step === recorded.step &&
        verdict.name === recorded.name));
  const differences: RecordedDifference[] = [];
  if (!sameVerdict) {
    differences.push({
      step: null,
      what: 'verdict',
      recorded: describeCoreVerdict(recorded),
      now: describeCoreVerdict(verdict),
    });
  }
  const stateDiffers = (step: number, was: string, now: string): void => {
    if (was !== now) {
      differences.push({
        step,
        what: 'state',
        recorded: clipText(was, 80),
        now: clipText(now, 80),
      });
    }
  };
  stateDiffers(0, trace.initialState, describe(model.initial()));
  for (const [i, row] of rows.entries()) {
    const step = trace.steps[i];
    if (step && row.enabled) stateDiffers(i + 1, step.state, row.state);
  }
  return { rows, verdict, matchesRecorded: differences.length === 0, differences };
}
