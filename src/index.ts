// grantcheck's library surface: run a suite, replay a trace, run ops, and the pieces to build
// your own suite. A user's vitest file imports from here.

import { findFault, subjectOf } from './faults/index.ts';
import type { ReplayOutcome } from './trace/replay.ts';
import { replayTrace } from './trace/replay.ts';
import { loadTrace } from './trace/io.ts';
import { INVARIANTS } from '../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../properties/invariants/stepProperties.ts';

export { DEFAULT_CONFIG, makeConfig } from './config.ts';
export type { GrantConfig } from './config.ts';
export type { Op, OpKind } from './ops/op.ts';
export type { OpResult } from './ops/result.ts';
export { formatOp, parseOp, formatResult } from './ops/text.ts';
export { runSuite } from './harness/random.ts';
export type { Suite, SuiteOutcome } from './harness/suite.ts';
export { runOps } from './harness/run.ts';
export type { RunReport } from './harness/run.ts';
export { buildSuite, SUITE_NAMES } from '../properties/suites.ts';
export { INVARIANTS, STEP_PROPERTIES };
export { FAULTS, findFault } from './faults/index.ts';
export { loadTrace, writeTrace } from './trace/io.ts';
export { buildTrace } from './trace/format.ts';
export type { Trace } from './trace/format.ts';
export { replayTrace } from './trace/replay.ts';

/** Load a trace file and replay it against the fault it names (or `fault`: an id, or null for
 * the correct impl). Throws on a malformed file or unknown fault. */
export function replayTraceFile(path: string, fault?: string | null): ReplayOutcome {
  const loaded = loadTrace(path);
  if (!loaded.ok) throw new Error(`${path}: ${loaded.error}`);
  const id = fault === undefined ? loaded.trace.fault : fault;
  const found = id === null ? undefined : findFault(id);
  if (id !== null && !found) throw new Error(`unknown fault '${id}'`);
  return replayTrace(loaded.trace, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    subject: subjectOf(found),
  });
}
