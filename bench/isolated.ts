// One section of the explorer's bench in a worker thread of its own: a fresh V8 isolate, whose
// JIT has seen none of the sections before it, as a user's `grantcheck explore` process has not.
// Why? Code the sections share (the model's step, its keys, the invariants) is compiled for what
// it met first. After the checked stream, `grantcheck run` and the Xen rows before it, as
// `npm run bench` runs them, the basic preset's search with the quotients took 5.44 and 5.16 s
// in the bench's thread and 4.92 and 4.81 s in a worker started then (0.90 and 0.93); keyed
// exactly, 0.88 and 0.89 (session 34, compiled, two pairs, docs/explore.md "Measured"). Worker
// threads share the process's V8 flags (bench/main.ts sets the CLI's), not its type feedback.
//
// The bench runs compiled (bench/main.ts says why); through tsx (`npx tsx bench/explore.ts`) a
// section runs in this thread, and the table says so in its `isolate` column.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { BenchRow } from './targets.ts';

type BenchRows = BenchRow[];

/** The sections that run isolated, by name: bench/explore.ts's row functions and their
 * arguments (numbers only: they cross to the worker as they are). */
export type IsolatedSection = 'xen' | 'xenFull' | 'xenBasic' | 'xenDepths' | 'xenBasicConformance';

interface SectionRequest {
  readonly section: IsolatedSection;
  readonly args: readonly number[];
}

async function runSection({ section, args }: SectionRequest): Promise<BenchRows> {
  const rows = await import('./explore.ts');
  switch (section) {
    case 'xen':
      return rows.benchXen();
    case 'xenFull':
      return [rows.benchXenFull(args[0])];
    case 'xenBasic':
      return rows.benchXenBasic();
    case 'xenDepths':
      return rows.benchXenDepths();
    case 'xenBasicConformance':
      return [rows.benchXenBasicConformance(args[0])];
  }
}

/** Section `section`'s rows, computed in a fresh worker thread (compiled; in this thread under
 * tsx), each row marked with where it ran. A worker that throws or exits without its rows
 * rejects with its error. */
export async function isolated(
  section: IsolatedSection,
  ...args: readonly number[]
): Promise<BenchRows> {
  const request: SectionRequest = { section, args };
  if (import.meta.url.endsWith('.ts')) {
    return (await runSection(request)).map((r) => ({ ...r, isolate: 'shared (tsx)' }));
  }
  const rows = await new Promise<BenchRows>((resolve, reject) => {
    // A worker inherits the parent's node options, but --input-type (a test loads the bench by
    // `node -e`) is refused for a worker started from a file. Given explicitly, execArgv may
    // hold no V8 flag (such as --max-old-space-size): only then is it given.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const options = execArgv.length < process.execArgv.length ? { execArgv } : {};
    const worker = new Worker(new URL(import.meta.url), { workerData: request, ...options });
    let answer: BenchRows | undefined;
    worker.once('message', (m: BenchRows) => (answer = m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (answer !== undefined && code === 0) resolve(answer);
      else reject(new Error(`bench: section ${section} ended (exit ${code}) without its rows`));
    });
  });
  return rows.map((r) => ({ ...r, isolate: 'fresh' }));
}

const request = workerData as Partial<SectionRequest> | null;
if (!isMainThread && parentPort && request?.section !== undefined) {
  // Not a top-level await: explore.ts imports this module, which would wait for itself. A
  // section that throws rejects here, and the worker's error reaches `isolated`.
  const port = parentPort;
  void runSection(request as SectionRequest).then((rows) => port.postMessage(rows));
}
