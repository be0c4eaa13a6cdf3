// The one trace format (docs/trace-format.md), version 3: how a run was made (config, fault,
// origin with seed and fast-check replay data), its verdict, and every step with both results
// and the state after it. Counterexamples from random and exhaustive search alike use it; an
// interleaved run (grantcheck interleave) adds its setup, actors' programs and schedule.

import { z } from 'zod';
import { GrantConfigSchema } from '../config.ts';
import type { GrantConfig } from '../config.ts';
import type { Violation } from '../harness/checker.ts';
import type { RunReport } from '../harness/run.ts';
import type { OpResult } from '../ops/result.ts';
import { OpSchema } from '../ops/schema.ts';
import { formatOp } from '../ops/text.ts';
import { StateJsonSchema, stateToJson } from './stateJson.ts';

export const TRACE_FORMAT = 'grantcheck-trace';
/** 2: states carry page contents; 3: interleaved runs (older traces are migrated on load:
 * ./migrate.ts). */
export const TRACE_VERSION = 3;

const status = z.number().int();
const PROFILE_REFUSALS = ['unsupported', 'contract', 'crash'] as const;
/** An op result as JSON (also what a subject sends over the wire: src/subject/wire). */
export const OpResultSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('grant_access'),
      outcome: z.enum(['ok', 'einval', 'in_use', ...PROFILE_REFUSALS]),
    })
    .strict(),
  z
    .object({
      kind: z.literal('end_access'),
      outcome: z.enum(['ended', 'in_use', 'einval', ...PROFILE_REFUSALS]),
    })
    .strict(),
  z.object({ kind: z.literal('grant_transfer'), outcome: z.enum(['ok', 'einval']) }).strict(),
  // A completed transfer carries the frame Xen wrote; no other outcome does (EndTransferResult).
  z.discriminatedUnion('outcome', [
    z.strictObject({ kind: z.literal('end_transfer'), outcome: z.literal('cancelled') }),
    z.strictObject({ kind: z.literal('end_transfer'), outcome: z.literal('pending') }),
    z.strictObject({ kind: z.literal('end_transfer'), outcome: z.literal('einval') }),
    z.strictObject({
      kind: z.literal('end_transfer'),
      outcome: z.literal('completed'),
      frame: z.number().int(),
    }),
  ]),
  z.object({ kind: z.literal('raw_write'), outcome: z.enum(['ok', 'einval']) }).strict(),
  z
    .object({ kind: z.literal('write_page'), outcome: z.enum(['ok', 'unbacked', 'out_of_page']) })
    .strict(),
  // A read that succeeded carries the digest of the bytes read; a refused one none.
  z.discriminatedUnion('outcome', [
    z.strictObject({ kind: z.literal('read_page'), outcome: z.literal('ok'), digest: z.string() }),
    z.strictObject({ kind: z.literal('read_page'), outcome: z.literal('unbacked') }),
    z.strictObject({ kind: z.literal('read_page'), outcome: z.literal('out_of_page') }),
  ]),
  z
    .object({
      kind: z.literal('write_mapped'),
      outcome: z.enum(['ok', 'no_mapping', 'readonly', 'out_of_page']),
    })
    .strict(),
  z.discriminatedUnion('outcome', [
    z.strictObject({
      kind: z.literal('read_mapped'),
      outcome: z.literal('ok'),
      digest: z.string(),
    }),
    z.strictObject({ kind: z.literal('read_mapped'), outcome: z.literal('no_mapping') }),
    z.strictObject({ kind: z.literal('read_mapped'), outcome: z.literal('out_of_page') }),
  ]),
  z
    .object({
      kind: z.literal('map_grant_ref'),
      // A mapped element carries both its handle and dev_bus_addr (MapElementResult), a failed
      // one neither: formatResult relies on it.
      results: z.array(
        z
          .strictObject({
            status,
            handle: z.number().int().optional(),
            devBusAddr: z.number().int().optional(),
          })
          .refine((r) => (r.handle === undefined) === (r.devBusAddr === undefined), {
            error: 'a mapped element has both handle and devBusAddr, a failed one neither',
          }),
      ),
    })
    .strict(),
  z.object({ kind: z.literal('unmap_grant_ref'), statuses: z.array(status) }).strict(),
  z.object({ kind: z.literal('transfer'), statuses: z.array(status) }).strict(),
  z.object({ kind: z.literal('unmap_and_replace'), statuses: z.array(status) }).strict(),
  z.object({ kind: z.literal('copy'), statuses: z.array(status) }).strict(),
  z
    .object({
      kind: z.literal('setup_table'),
      status,
      nrFrames: z.number().int().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('query_size'),
      status,
      nrFrames: z.number().int().optional(),
      maxNrFrames: z.number().int().optional(),
    })
    .strict(),
  z.object({ kind: z.literal('destroy_domain'), status }).strict(),
  z.object({ kind: z.literal('not_running') }).strict(),
  z.object({ kind: z.literal('swap_grant_ref'), statuses: z.array(status) }).strict(),
  // Guest profiles (issue 14 §1)
  z.discriminatedUnion('outcome', [
    z.strictObject({
      kind: z.literal('alloc_refs'),
      outcome: z.literal('ok'),
      refs: z.array(z.number().int()),
    }),
    ...(['enospc', 'would_block', 'einval', ...PROFILE_REFUSALS] as const).map((outcome) =>
      z.strictObject({ kind: z.literal('alloc_refs'), outcome: z.literal(outcome) }),
    ),
  ]),
  z.strictObject({ kind: z.literal('free_ref'), outcome: z.enum(['ok', ...PROFILE_REFUSALS]) }),
  z.strictObject({
    kind: z.literal('end_access_deferred'),
    outcome: z.enum(['ended', 'deferred', ...PROFILE_REFUSALS]),
  }),
  z.discriminatedUnion('outcome', [
    z.strictObject({
      kind: z.literal('tick'),
      outcome: z.literal('ok'),
      reclaimed: z.number().int(),
      pending: z.number().int(),
    }),
    ...PROFILE_REFUSALS.map((outcome) =>
      z.strictObject({ kind: z.literal('tick'), outcome: z.literal(outcome) }),
    ),
  ]),
  z.strictObject({ kind: z.literal('free_page'), outcome: z.enum(['ok', ...PROFILE_REFUSALS]) }),
  // Backends as actors (issue 14 §3)
  z.discriminatedUnion('outcome', [
    z.strictObject({
      kind: z.literal('backend_map'),
      outcome: z.literal('ok'),
      statuses: z.array(status),
    }),
    z.strictObject({
      kind: z.literal('backend_map'),
      outcome: z.literal('failed'),
      statuses: z.array(status),
    }),
    z.strictObject({ kind: z.literal('backend_map'), outcome: z.literal('contract') }),
    z.strictObject({ kind: z.literal('backend_map'), outcome: z.literal('einval') }),
  ]),
  z.discriminatedUnion('outcome', [
    z.strictObject({
      kind: z.literal('backend_io'),
      outcome: z.literal('ok'),
      digests: z.array(z.string()).optional(),
    }),
    ...(['no_mapping', 'out_of_page', 'readonly', 'contract'] as const).map((outcome) =>
      z.strictObject({ kind: z.literal('backend_io'), outcome: z.literal(outcome) }),
    ),
  ]),
  z.discriminatedUnion('outcome', [
    z.strictObject({
      kind: z.literal('backend_unmap'),
      outcome: z.literal('ok'),
      statuses: z.array(status),
    }),
    z.strictObject({ kind: z.literal('backend_unmap'), outcome: z.literal('contract') }),
  ]),
]);

// Compile-time check: a recorded result is an OpResult (so replay can format and compare it).
const _recordedIsResult = (r: DeepReadonly<z.infer<typeof OpResultSchema>>): OpResult => r;
void _recordedIsResult;

const OriginSchema = z.discriminatedUnion('engine', [
  z
    .object({
      engine: z.literal('random'),
      suite: z.string(),
      seed: z.number().int(),
      path: z.string(),
      replayPath: z.string().optional(),
      runs: z.number().int(),
      maxOps: z.number().int(),
    })
    .strict(),
  z
    .object({
      engine: z.literal('explore'),
      model: z.string(),
      bounds: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
    })
    .strict(),
  z.object({ engine: z.literal('manual') }).strict(),
  z
    .object({
      engine: z.literal('interleave'),
      mode: z.enum(['random', 'exhaustive']),
      seed: z.number().int().optional(),
      path: z.string().optional(),
      runs: z.number().int().optional(),
      reduction: z.boolean().optional(),
      preemptionBound: z.number().int().optional(),
    })
    .strict(),
]);

/** An interleaved run: the setup (run sequentially), each actor's domain and program, and the
 * actor of each step. Its verdict's `step` is a position in the schedule. */
const InterleavingSchema = z
  .object({
    setup: z.array(OpSchema),
    actors: z
      .array(
        z
          .object({
            dom: z.number().int().min(0),
            vcpu: z.number().int().min(0).optional(),
            ops: z.array(OpSchema).min(1),
          })
          .strict(),
      )
      .min(1)
      .max(4),
    schedule: z.array(z.number().int().min(0).max(3)),
  })
  .strict();

const VerdictSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pass') }).strict(),
  z
    .object({
      kind: z.literal('violation'),
      /** 0-based index of the failing step; -1 when the initial state already fails. */
      step: z.number().int().min(-1),
      check: z.enum([
        'result-mismatch',
        'state-mismatch',
        'invariant',
        'step-property',
        // interleaved runs (src/interleave/check.ts)
        'not-linearizable',
        'deadlock',
        'lock-misuse',
        'crash',
        'setup',
      ]),
      name: z.string().optional(),
      side: z.enum(['model', 'impl']).optional(),
      message: z.string(),
    })
    .strict(),
]);

const StepSchema = z
  .object({
    op: OpSchema,
    text: z.string(),
    model: OpResultSchema,
    impl: OpResultSchema,
    state: StateJsonSchema,
    /** Only where abstract(impl) differs from the model state. */
    implState: StateJsonSchema.optional(),
  })
  .strict();

export const TraceSchema = z
  .object({
    format: z.literal(TRACE_FORMAT),
    version: z.literal(TRACE_VERSION),
    tool: z.string(),
    config: GrantConfigSchema,
    fault: z.string().nullable(),
    origin: OriginSchema,
    verdict: VerdictSchema,
    initialState: StateJsonSchema,
    steps: z.array(StepSchema),
    interleaving: InterleavingSchema.optional(),
  })
  .strict();

/** Traces are values: read-only all the way down (and so an Op fits where the schema has one). */
export type DeepReadonly<T> = T extends object
  ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

export type Trace = DeepReadonly<z.infer<typeof TraceSchema>>;
export type TraceOrigin = Trace['origin'];
export type TraceVerdict = Trace['verdict'];

export function verdictOf(failure: RunReport['failure']): TraceVerdict {
  if (!failure) return { kind: 'pass' };
  const v: Violation = failure.violation;
  const base = { kind: 'violation' as const, step: failure.step };
  switch (v.check) {
    case 'result-mismatch':
      return { ...base, check: v.check, message: 'model and impl returned different results' };
    case 'state-mismatch':
      return { ...base, check: v.check, message: v.diff.join('; ') };
    case 'invariant':
    case 'step-property':
      return { ...base, check: v.check, name: v.name, side: v.side, message: v.message };
  }
}

export function buildTrace(args: {
  readonly tool: string;
  readonly config: GrantConfig;
  readonly fault: string | null;
  readonly origin: TraceOrigin;
  readonly report: RunReport;
}): Trace {
  const { report } = args;
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    tool: args.tool,
    config: args.config,
    fault: args.fault,
    origin: args.origin,
    verdict: verdictOf(report.failure),
    initialState: stateToJson(report.initialState),
    steps: report.steps.map((s, i) => {
      const mismatch =
        report.failure?.step === i && report.failure.violation.check === 'state-mismatch';
      return {
        op: s.op,
        text: formatOp(s.op),
        model: s.modelResult,
        impl: s.implResult,
        state: stateToJson(s.modelState),
        ...(mismatch ? { implState: stateToJson(s.implState) } : {}),
      };
    }),
  };
}

/** Do two verdicts name the same failure (same step, same check, same invariant)? */
export function sameVerdict(a: TraceVerdict, b: TraceVerdict): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'pass' || b.kind === 'pass') return true;
  return a.step === b.step && a.check === b.check && a.name === b.name && a.side === b.side;
}
