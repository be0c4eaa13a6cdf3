// `grantcheck view TRACE [--out FILE.html]`: write the trace's viewer, one self-contained HTML
// file (src/view), beside the trace unless --out says where, and print its path. A trace that
// cannot be read, parsed or run is one line and exit 2, and nothing is written.

import { resolve } from 'node:path';
import { clipText } from '../../input/index.ts';
import { writeFileAtomic } from '../../output/files.ts';
import { renderViewHtml } from '../../view/html.ts';
import { loadTraceView, viewPathOf } from '../../view/index.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { checkOutFile } from '../options.ts';
import { writeError } from '../write.ts';

export interface ViewFlags {
  readonly out?: string;
}

export function viewCommand(file: string, flags: ViewFlags, io: Io): CliOutcome {
  const chosen = flags.out === undefined ? undefined : checkOutFile('out', flags.out);
  const loaded = loadTraceView(file);
  if (!loaded.ok) {
    return { kind: 'usage', message: `${clipText(file, 60)}: ${clipText(loaded.error, 190)}` };
  }
  const out = chosen ?? viewPathOf(file);
  if (resolve(out) === resolve(file)) {
    return { kind: 'usage', message: `--out ${clipText(out, 60)} is the trace itself` };
  }
  const html = renderViewHtml(loaded.view);
  const error = writeError(() => writeFileAtomic(out, html));
  if (error) return { kind: 'usage', message: `cannot write ${clipText(out, 60)}: ${error}` };
  io.out(`view written: ${out}\n`);
  return { kind: 'ok' };
}
