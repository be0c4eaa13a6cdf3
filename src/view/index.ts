// The trace viewer (`grantcheck view`, and the HTML that `run` and `faults` write beside every
// trace): read and validate a trace, replay it, write one self-contained HTML file whole or not
// at all.

import { basename } from 'node:path';
import { isCoreTrace } from '../core/trace.ts';
import { readJsonFile, TRACE_LIMITS } from '../input/index.ts';
import { writeFileAtomic } from '../output/files.ts';
import { parseTrace } from '../trace/io.ts';
import { buildView } from './build.ts';
import type { ViewResult } from './build.ts';
import { renderViewHtml } from './html.ts';

export type { ViewData } from './build.ts';
export { buildView } from './build.ts';
export { renderViewHtml } from './html.ts';

/** Where the view of a trace goes by default: beside it, `.json` replaced by `.html`. */
export function viewPathOf(tracePath: string): string {
  return tracePath.endsWith('.json') ? `${tracePath.slice(0, -5)}.html` : `${tracePath}.html`;
}

/** Read, validate and replay the trace at `tracePath` for the viewer. */
export function loadTraceView(tracePath: string): ViewResult {
  const read = readJsonFile(tracePath, TRACE_LIMITS);
  if (!read.ok) return read;
  if (isCoreTrace(read.value)) {
    return {
      ok: false,
      error:
        'a core-model trace (explore --model core) has no domains to draw; read it with grantcheck replay',
    };
  }
  const parsed = parseTrace(read.value);
  return parsed.ok ? buildView(parsed.trace, basename(tracePath)) : parsed;
}

/** Write the HTML view of the trace at `tracePath` to `out` (default: viewPathOf) and return
 * its path. Throws on a trace that cannot be viewed or a failed write (nothing is written);
 * `run` and `faults` call it right after writing a trace, through their tryWrite. */
export function writeTraceView(tracePath: string, out = viewPathOf(tracePath)): string {
  const loaded = loadTraceView(tracePath);
  if (!loaded.ok) throw new Error(loaded.error);
  writeFileAtomic(out, renderViewHtml(loaded.view));
  return out;
}
