// Reading and writing trace files. Loading validates everything and names the first bad field;
// writing goes through writeFileAtomic, so a trace is either complete or absent, never
// half-written.

import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../output/files.ts';
import { opProblem } from '../ops/schema.ts';
import { describeZodError } from '../ops/schema.ts';
import type { Trace } from './format.ts';
import { TRACE_FORMAT, TRACE_VERSION, TraceSchema } from './format.ts';

export type LoadResult =
  { readonly ok: true; readonly trace: Trace } | { ok: false; error: string };

/** Validate an already-parsed JSON value as a trace. */
export function parseTrace(value: unknown): LoadResult {
  if (typeof value === 'object' && value !== null && 'format' in value) {
    if (value.format !== TRACE_FORMAT) {
      return {
        ok: false,
        error: `format: expected "${TRACE_FORMAT}", got ${JSON.stringify(value.format)}`,
      };
    }
    if ('version' in value && value.version !== TRACE_VERSION) {
      return {
        ok: false,
        error: `version: this grantcheck reads trace version ${TRACE_VERSION}, the file is version ${JSON.stringify(value.version)}`,
      };
    }
  }
  const parsed = TraceSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: describeZodError(parsed.error) };
  const trace = parsed.data;
  for (const [i, step] of trace.steps.entries()) {
    const problem = opProblem(step.op, trace.config);
    if (problem) return { ok: false, error: `steps.${i}.op: ${problem}` };
  }
  if (trace.verdict.kind === 'violation' && trace.verdict.step >= trace.steps.length) {
    return {
      ok: false,
      error: `verdict.step: ${trace.verdict.step} is beyond the ${trace.steps.length} steps`,
    };
  }
  return { ok: true, trace };
}

export function loadTrace(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? e})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  return parseTrace(value);
}

/** The canonical bytes of a trace: same trace, same bytes. */
export function serialiseTrace(trace: Trace): string {
  return `${JSON.stringify(trace, null, 1)}\n`;
}

/** Write `trace` to `path` whole or not at all (src/output/files.ts). */
export function writeTrace(path: string, trace: Trace): void {
  writeFileAtomic(path, serialiseTrace(trace));
}
