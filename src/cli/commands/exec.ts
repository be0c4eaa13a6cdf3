// `grantcheck exec OP...`: run ops given in their canonical text form against model and impl (or
// a subject: another implementation, or real Xen), print the step table, and optionally save the
// run as a trace (for a hand-written regression).

import { GrantConfigSchema, DEFAULT_CONFIG } from '../../config.ts';
import type { Fault } from '../../faults/index.ts';
import { findFault } from '../../faults/index.ts';
import type { GrantConfig } from '../../config.ts';
import { runOps } from '../../harness/run.ts';
import type { Op } from '../../ops/op.ts';
import { opProblem } from '../../ops/schema.ts';
import { OpSchema, describeZodError } from '../../ops/schema.ts';
import { parseOp } from '../../ops/text.ts';
import { buildTrace, verdictOf } from '../../trace/format.ts';
import { escapeText, safeJson } from '../../input/index.ts';
import { writeTrace } from '../../trace/io.ts';
import { tableRows } from '../../trace/replay.ts';
import { TOOL } from '../../version.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { runJson } from '../json.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { checkOutFile, parseIntOption } from '../options.ts';
import { checkXenFlags } from '../xenFlags.ts';
import { lackedKindBeforeStart, withSubject } from '../subject.ts';
import type { SubjectFactory } from '../../subject/subject.ts';
import { describeComparison, lackedKindProblem } from '../../subject/subject.ts';
import { XEN_DOM0_CONFIG, XEN_SUBJECT } from '../../subject/xen/config.ts';
import { stylerOf } from '../colour.ts';
import { stepTable, widthOf } from '../views.ts';
import { writeError } from '../write.ts';

export interface ExecFlags {
  readonly out?: string;
  readonly domains?: string;
  readonly vcpus?: string;
  readonly fault?: string;
  /** Run against an external subject (docs/subject-protocol.md) or real Xen instead of the
   * impl. */
  readonly subject?: string;
  readonly json?: boolean;
}

export function execCommand(texts: readonly string[], flags: ExecFlags, io: Io): CliOutcome {
  const domains = parseIntOption('domains', flags.domains, 1, 16);
  const vcpus = parseIntOption('vcpus', flags.vcpus, 1, 4);
  // Real Xen runs dom0 alone, with Xen's own limits (src/subject/xen/config.ts).
  const xen = flags.subject === XEN_SUBJECT;
  const config = GrantConfigSchema.parse({
    ...(xen ? XEN_DOM0_CONFIG : DEFAULT_CONFIG),
    ...(domains === undefined ? {} : { domains }),
    ...(vcpus === undefined || vcpus === 1 ? {} : { vcpus }),
  });
  if (xen) checkXenFlags(config);
  const out = flags.out === undefined ? undefined : checkOutFile('out', flags.out);
  const fault = flags.fault === undefined ? undefined : findFault(flags.fault);
  if (flags.fault !== undefined && !fault)
    return { kind: 'usage', message: `--fault: no fault '${flags.fault}'` };
  const ops: Op[] = [];
  for (const [i, text] of texts
    .flatMap((t) => t.split('\n'))
    .filter((t) => t.trim() !== '')
    .entries()) {
    const parsed = parseOp(text);
    if (!parsed.ok) return { kind: 'usage', message: `op ${i + 1}: ${parsed.error}` };
    const valid = OpSchema.safeParse(parsed.op);
    if (!valid.success)
      return { kind: 'usage', message: `op ${i + 1}: ${describeZodError(valid.error)}` };
    const problem = opProblem(parsed.op, config);
    if (problem) return { kind: 'usage', message: `op ${i + 1}: ${problem}` };
    ops.push(parsed.op);
  }
  if (ops.length === 0) return { kind: 'usage', message: 'no ops given (every argument is blank)' };
  // Everything above is checked before a subject starts (real Xen takes seconds to boot), and so
  // are the op kinds when they are known before it says (lackedKindBeforeStart).
  const early = lackedKindBeforeStart(flags.subject, ops, 'op');
  if (early !== null) return { kind: 'usage', message: early };
  return withSubject(flags.subject, fault, (subject) =>
    execAgainst(subject, { config, ops, fault, out }, flags, io),
  );
}

function execAgainst(
  subject: SubjectFactory,
  run: {
    readonly config: GrantConfig;
    readonly ops: readonly Op[];
    readonly fault: Fault | undefined;
    readonly out: string | undefined;
  },
  flags: ExecFlags,
  io: Io,
): CliOutcome {
  const { config, ops, fault, out } = run;
  const lacked = lackedKindProblem(subject, ops, 'op');
  if (lacked !== null) return { kind: 'usage', message: lacked };
  const options = { invariants: INVARIANTS, properties: STEP_PROPERTIES, subject };
  const report = runOps(config, ops, options);
  const rows = tableRows(report);
  const failed = report.failure !== null;
  // What was compared: said when it is not the built-in impl (or one of its faults).
  const compared = flags.subject === undefined ? undefined : describeComparison(subject);
  // Saving the trace is what --out asked for: a write that fails (disk full) is exit 2, before
  // anything is printed (with --json, stdout stays one document or nothing).
  if (out !== undefined) {
    const origin = { engine: 'manual' as const };
    const trace = buildTrace({ tool: TOOL, config, fault: fault?.id ?? null, origin, report });
    const error = writeError(() => writeTrace(out, trace));
    if (error) return { kind: 'usage', message: `--out: cannot write ${out}: ${error}` };
  }
  if (flags.json) {
    const run = { verdict: verdictOf(report.failure), rows };
    const json = {
      ...runJson(run, fault?.id ?? null),
      ...(compared === undefined ? {} : { compared }),
      ...(out === undefined ? {} : { trace: out }),
    };
    io.out(`${safeJson(json, 2)}\n`);
  } else {
    const style = stylerOf(io);
    if (compared !== undefined) io.out(`compared: ${escapeText(compared)}\n\n`);
    for (const line of stepTable(rows, widthOf(io), style)) io.out(`${line}\n`);
    io.out(`result: ${failed ? style.fail('FAILS') : style.pass('PASSES')}\n`);
    if (out !== undefined) io.out(`trace written: ${out}\n`);
  }
  return failed ? { kind: 'violation' } : { kind: 'ok' };
}
