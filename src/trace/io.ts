// Reading and writing trace files. Loading validates everything and names the first bad field;
// writing goes through writeFileAtomic, so a trace is either complete or absent, never
// half-written. A file in the Informal Trace Format (./itf/) is read and written the same way:
// by its content when read, by its name (`.itf.json`) when written.

import { quote, readJsonFile, TRACE_LIMITS, validate } from '../input/index.ts';
import { writeFileAtomic } from '../output/files.ts';
import { opProblem } from '../ops/schema.ts';
import type { Trace } from './format.ts';
import { TRACE_FORMAT, TRACE_VERSION, TraceSchema } from './format.ts';
import { migrateTrace, OLDEST_TRACE_VERSION } from './migrate.ts';
import {
  isItf,
  ITF_EXTENSION,
  itfPathOf,
  itfToTraceJson,
  serialiseItf,
  traceToItf,
} from './itf/index.ts';

export type LoadResult =
  { readonly ok: true; readonly trace: Trace } | { ok: false; error: string };

/** Validate an already-parsed JSON value as a trace: grantcheck's own format (of this version,
 * or of an earlier one, migrated first: ./migrate.ts), or an ITF trace that grantcheck wrote
 * (./itf/), whose problems are named by their path in the ITF file. */
export function parseTrace(original: unknown): LoadResult {
  if (!isItf(original)) return parseOwnTrace(original);
  const rebuilt = itfToTraceJson(original);
  if (!rebuilt.ok) return { ok: false, error: `ITF: ${rebuilt.error}` };
  const parsed = parseOwnTrace(rebuilt.value);
  return parsed.ok ? parsed : { ok: false, error: `ITF: ${itfPathOf(parsed.error)}` };
}

function parseOwnTrace(original: unknown): LoadResult {
  const value = migrateTrace(original);
  if (typeof value === 'object' && value !== null && 'format' in value) {
    if (value.format !== TRACE_FORMAT) {
      return {
        ok: false,
        error: `format: expected "${TRACE_FORMAT}", got ${quote(value.format)}`,
      };
    }
    if ('version' in value && value.version !== TRACE_VERSION && 'interleaving' in value) {
      return { ok: false, error: `interleaving: only a version-${TRACE_VERSION} trace holds one` };
    }
    if ('version' in value && value.version !== TRACE_VERSION) {
      return {
        ok: false,
        error: `version: this grantcheck reads trace versions ${OLDEST_TRACE_VERSION} to ${TRACE_VERSION}, the file is version ${quote(value.version)}`,
      };
    }
  }
  const parsed = validate(TraceSchema, value);
  if (!parsed.ok) return parsed;
  const trace = parsed.value;
  for (const [i, step] of trace.steps.entries()) {
    const problem = opProblem(step.op, trace.config);
    if (problem) return { ok: false, error: `steps.${i}.op: ${problem}` };
  }
  const interleaving = trace.interleaving;
  if (interleaving !== undefined) {
    // An interleaved run: the verdict's step is a schedule position, and every op is checked.
    const ops = [...interleaving.setup, ...interleaving.actors.flatMap((a) => a.ops)];
    for (const op of ops) {
      const problem = opProblem(op, trace.config);
      if (problem) return { ok: false, error: `interleaving: ${problem}` };
    }
    const last = interleaving.schedule.length;
    if (trace.verdict.kind === 'violation' && trace.verdict.step >= last) {
      return {
        ok: false,
        error: `verdict.step: ${trace.verdict.step} is beyond the ${last} scheduled steps`,
      };
    }
    const n = interleaving.actors.length;
    const stray = interleaving.schedule.find((a) => a >= n);
    if (stray !== undefined)
      return { ok: false, error: `interleaving.schedule: no actor a${stray}` };
    return { ok: true, trace };
  }
  if (trace.verdict.kind === 'violation' && trace.verdict.step >= trace.steps.length) {
    return {
      ok: false,
      error: `verdict.step: ${trace.verdict.step} is beyond the ${trace.steps.length} steps`,
    };
  }
  return { ok: true, trace };
}

/** Read, parse (within TRACE_LIMITS) and validate a trace file. */
export function loadTrace(path: string): LoadResult {
  const read = readJsonFile(path, TRACE_LIMITS);
  return read.ok ? parseTrace(read.value) : read;
}

/** The canonical bytes of a trace: same trace, same bytes. */
export function serialiseTrace(trace: Trace): string {
  return `${JSON.stringify(trace, null, 1)}\n`;
}

/** Write `trace` to `path` whole or not at all (src/output/files.ts): as ITF when the name
 * ends in `.itf.json`, in grantcheck's own format otherwise. */
export function writeTrace(path: string, trace: Trace): void {
  writeFileAtomic(
    path,
    path.endsWith(ITF_EXTENSION) ? serialiseItf(traceToItf(trace)) : serialiseTrace(trace),
  );
}
