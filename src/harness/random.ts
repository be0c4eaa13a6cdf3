// The random engine: fast-check model-based testing over op sequences. Each fast-check command
// is a thin adapter that hands its op to the Checker (model step, impl step, comparisons,
// invariants) and throws when a check fails; fast-check then shrinks the sequence. The shrunk
// ops are re-run once through runOps to produce the step-by-step report a trace is made from.

import fc from 'fast-check';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { formatOp } from '../ops/text.ts';
import { IMPL_SUBJECT } from '../subject/impl.ts';
import type { SubjectFactory } from '../subject/subject.ts';
import { SubjectError } from '../subject/subject.ts';
import { gntstName } from '../xen/abi.ts';
import type { StepVerdict, Violation } from './checker.ts';
import { Checker, violationName } from './checker.ts';
import { minimizeValues } from './minimize.ts';
import { runOps } from './run.ts';
import type { Suite, SuiteOutcome, SuiteStats } from './suite.ts';

/** The outcome names an op's result contributes to coverage: `op:status` per batch element. */
export function outcomesOf(result: OpResult): string[] {
  const names: string[] = [];
  forEachOutcome(result, (id) => names.push(coverageName(id)));
  return names;
}

// Coverage names as small integers, interned once per process: coverage is counted after every
// op (and every element of a batch) of a run, and an array slot costs less than a string-keyed
// map's get and set (docs/properties.md, "Where the time goes").
const names: string[] = [];
const idOfName = new Map<string, number>();
const outcomeIds = new Map<string, Map<number | string, number>>();

function coverageId(name: string): number {
  let id = idOfName.get(name);
  if (id === undefined) {
    id = names.length;
    names.push(name);
    idOfName.set(name, id);
  }
  return id;
}

function coverageName(id: number): string {
  return names[id] ?? `#${id}`;
}

/** The id of `kind:status` (a GNTST status by its name). */
function outcomeId(kind: string, status: number | string): number {
  let byStatus = outcomeIds.get(kind);
  if (byStatus === undefined) {
    byStatus = new Map();
    outcomeIds.set(kind, byStatus);
  }
  let id = byStatus.get(status);
  if (id === undefined) {
    id = coverageId(`${kind}:${typeof status === 'number' ? gntstName(status) : status}`);
    byStatus.set(status, id);
  }
  return id;
}

/** Call `visit` on the id of each statuses' outcome, in order; a run of equal statuses (a
 * burst's) is looked up once. */
function forEachStatus(kind: string, statuses: readonly number[], visit: (id: number) => void) {
  let last: number | undefined;
  let id = 0;
  for (const status of statuses) {
    if (status !== last) {
      id = outcomeId(kind, status);
      last = status;
    }
    visit(id);
  }
}

/** Call `visit` on each outcome id of `result`, in outcomesOf's order. */
function forEachOutcome(result: OpResult, visit: (id: number) => void): void {
  switch (result.kind) {
    case 'map_grant_ref': {
      let last: number | undefined;
      let id = 0;
      for (const r of result.results) {
        if (r.status !== last) {
          id = outcomeId(result.kind, r.status);
          last = r.status;
        }
        visit(id);
      }
      return;
    }
    case 'unmap_grant_ref':
    case 'transfer':
    case 'unmap_and_replace':
    case 'swap_grant_ref':
    case 'copy':
      forEachStatus(result.kind, result.statuses, visit);
      return;
    case 'setup_table':
    case 'query_size':
    case 'destroy_domain':
      visit(outcomeId(result.kind, result.status));
      return;
    case 'not_running':
      visit(outcomeId(result.kind, 'paused'));
      return;
    default:
      visit(outcomeId(result.kind, result.outcome));
  }
}

/** A suite's coverage as counts by id; `toMap` gives the names in the order each was first
 * counted (the order a map counted name by name keeps). */
class CoverageCounts {
  private readonly counts: number[] = [];
  private readonly order: number[] = [];
  readonly add = (id: number): void => {
    const n = this.counts[id];
    if (n === undefined || n === 0) {
      this.counts[id] = 1;
      this.order.push(id);
    } else {
      this.counts[id] = n + 1;
    }
  };
  addName(name: string): void {
    this.add(coverageId(name));
  }
  toMap(): Map<string, number> {
    return new Map(this.order.map((id) => [coverageName(id), this.counts[id] ?? 0]));
  }
}

export class ViolationError extends Error {
  constructor(readonly violation: Violation) {
    super(violationName(violation));
  }
}

export interface RunContext {
  readonly checker: Checker;
  readonly onStep: (op: Op, verdict: StepVerdict) => void;
}

/** A fast-check command for one op. */
export class OpCommand implements fc.Command<RunContext, object> {
  constructor(readonly op: Op) {}
  check(): boolean {
    return true; // every op is meaningful in every state: invalid calls are modelled results
  }
  run(ctx: RunContext): void {
    const verdict = ctx.checker.apply(this.op);
    ctx.onStep(this.op, verdict);
    if (verdict.violation) throw new ViolationError(verdict.violation);
  }
  toString(): string {
    return formatOp(this.op);
  }
}

export interface RandomOptions {
  readonly seed: number;
  readonly runs?: number;
  readonly maxOps?: number;
  /** Replay exactly one earlier failure: fast-check's path (and the commands' replayPath). */
  readonly path?: string;
  readonly replayPath?: string;
  /** The system under test; the built-in impl when absent. Op kinds it does not implement are
   * not generated, and outcomes of those kinds are not expected. */
  readonly subject?: SubjectFactory;
  /** Called after each completed run (not during shrinking). */
  readonly onRun?: (runsDone: number, opsDone: number) => void;
  /** Called at the start of every run, shrinking's included: a long command's Ctrl-C check
   * (src/cli/progress.ts) while a failure shrinks. */
  readonly onTick?: () => void;
  /** false: report the first failing run as found, unshrunk (the fault sweep wants only the
   * time to a counterexample; shrinking can cost more than finding). */
  readonly shrink?: boolean;
}

export function commandsArbitrary(
  suite: Suite,
  subject: SubjectFactory,
  maxOps: number,
  replayPath: string | undefined,
): fc.Arbitrary<Iterable<fc.Command<RunContext, object>>> {
  const implemented = new Set(subject.opKinds);
  // A swarm subset with no kind the subject implements falls back to every kind it does.
  const fallback = suite.opKinds.filter((k) => implemented.has(k));
  return suite.plan.chain((plan) => {
    const chosen = plan.kinds.filter((k) => implemented.has(k));
    const kinds = chosen.length > 0 ? chosen : fallback;
    return fc.commands(
      kinds.map((k) => plan.arbitrary(k, implemented).map((op) => new OpCommand(op))),
      // size 'max': lengths spread over 0..maxOps instead of fast-check's short default, so
      // runs are long enough to exhaust a maptrack table or reach a transfer.
      replayPath === undefined
        ? { maxCommands: maxOps, size: 'max' }
        : { maxCommands: maxOps, size: 'max', replayPath },
    );
  });
}

/** The ops of a fast-check commands value, in order: all of them, or those that ran. */
function commandOps(commands: Iterable<unknown>, ranOnly: boolean): Op[] {
  const ops: Op[] = [];
  for (const c of commands) {
    if (typeof c === 'object' && c !== null && 'cmd' in c && 'hasRan' in c) {
      if ((c.hasRan || !ranOnly) && c.cmd instanceof OpCommand) ops.push(c.cmd.op);
    } else if (c instanceof OpCommand) {
      ops.push(c.op);
    }
  }
  return ops;
}

/** The ops a fast-check commands value actually ran, in order. */
export function opsThatRan(commands: Iterable<unknown>): Op[] {
  return commandOps(commands, true);
}

function replayPathOf(commands: unknown): string | undefined {
  const m = /\/\*replayPath=['"]?([^'"*]*)['"]?\*\//.exec(String(commands));
  return m?.[1];
}

/** Does `v` fail the same check as `first`, and every invariant `first` listed beside it? */
function keepsAlsoFailed(v: Violation, first: Violation): boolean {
  const wanted = 'alsoFailed' in first ? (first.alsoFailed ?? []) : [];
  if (wanted.length === 0) return true;
  if (violationName(v) !== violationName(first)) return false;
  const got = new Set(('alsoFailed' in v ? (v.alsoFailed ?? []) : []).map(violationName));
  return wanted.every((w) => got.has(violationName(w)));
}

export function runSuite(suite: Suite, options: RandomOptions): SuiteOutcome {
  const runs = options.runs ?? suite.defaultRuns;
  const maxOps = options.maxOps ?? suite.defaultMaxOps;
  const subject = options.subject ?? IMPL_SUBJECT;
  const checkerOptions = { invariants: suite.invariants, properties: suite.properties, subject };
  const counts = new CoverageCounts();
  let runsDone = 0;
  let opsDone = 0;
  let failing = false; // after the first failure fast-check shrinks: stop counting
  const started = performance.now();

  /** One run: the initial state's checks, then every command; counts ops and coverage. */
  const runCommands = (checker: Checker, cmds: Iterable<fc.Command<RunContext, object>>) => {
    const initial = checker.checkInitial();
    if (initial) throw new ViolationError(initial);
    // Every command's check() is true: all of them run, in order, until one fails.
    checker.announce(commandOps(cmds, false));
    const ctx: RunContext = {
      checker,
      onStep: (op, verdict) => {
        if (failing) return;
        opsDone++;
        forEachOutcome(verdict.modelResult, counts.add);
        if (suite.opCoverage) {
          for (const o of suite.opCoverage(op, verdict.modelResult)) counts.addName(o);
        }
      },
    };
    try {
      fc.modelRun(() => ({ model: ctx, real: {} }), cmds);
    } catch (e) {
      failing = true;
      throw e;
    }
    if (!failing) {
      runsDone++;
      options.onRun?.(runsDone, opsDone);
    }
  };

  const commands = commandsArbitrary(suite, subject, maxOps, options.replayPath);
  // A subject that breaks (its process died, it sent a bad message) ends the suite: fast-check
  // would go on shrinking against a dead subject and report the last error, not the first.
  let broken: SubjectError | undefined;
  // Shrinking keeps the invariants the first failure named beside its mismatch (alsoFailed): a
  // smaller run that fails without them is a different counterexample, not a smaller one.
  let first: Violation | undefined;
  // The checker of the last run that passed, restarted for the next one (Checker.restart); a
  // checker that cannot be restarted is closed after its run instead.
  let spare: Checker | undefined;
  const property = fc.property(commands, (cmds) => {
    options.onTick?.();
    if (broken) throw broken;
    const checker = spare?.restart() ? spare : new Checker(suite.config, checkerOptions);
    spare = undefined;
    let passed = false;
    try {
      runCommands(checker, cmds);
      passed = true;
    } catch (e) {
      if (e instanceof SubjectError) broken = e;
      if (e instanceof ViolationError) {
        if (first === undefined) first = e.violation;
        else if (!keepsAlsoFailed(e.violation, first)) return;
      }
      throw e;
    } finally {
      if (passed && checker.restartable) spare = checker;
      else checker.close();
    }
  });

  const check = () =>
    fc.check(property, {
      seed: options.seed,
      numRuns: runs,
      ...(options.shrink === false ? { endOnFailure: true } : {}),
      ...(options.path === undefined ? {} : { path: options.path }),
    });
  let details: ReturnType<typeof check>;
  try {
    details = check();
  } finally {
    spare?.close();
  }
  const stats = {
    runs: runsDone,
    ops: opsDone,
    elapsedMs: performance.now() - started,
    coverage: counts.toMap(),
  };

  if (broken) throw broken;
  if (details.failed) {
    if (!(details.errorInstance instanceof ViolationError)) {
      // Not a checked violation: a bug in the harness, model or impl code itself.
      throw details.errorInstance instanceof Error
        ? details.errorInstance
        : new Error(String(details.errorInstance));
    }
    const commands = details.counterexample?.[0] ?? [];
    const shrunk = opsThatRan(commands);
    const shrunkReport = runOps(suite.config, shrunk, checkerOptions);
    const { ops, report } =
      options.shrink === false
        ? { ops: shrunk, report: shrunkReport }
        : minimizeValues(shrunk, shrunkReport, (o) => runOps(suite.config, o, checkerOptions));
    const replayPath = replayPathOf(commands);
    return {
      kind: 'violation',
      stats,
      replay: {
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        ...(replayPath === undefined ? {} : { replayPath }),
      },
      ops: report.failure ? ops.slice(0, report.failure.step + 1) : ops,
      report,
      violation: report.failure?.violation ?? details.errorInstance.violation,
    };
  }
  return passOrGap(suite, subject, stats, { runs, maxOps });
}

/** A run of `budget` without a violation: a pass, or a coverage gap when the budget is at least
 * the suite's default and an expected outcome never occurred (also used by the parallel runner
 * on the merged coverage of its workers). */
export function passOrGap(
  suite: Suite,
  subject: SubjectFactory,
  stats: SuiteStats,
  budget: { readonly runs: number; readonly maxOps: number },
): SuiteOutcome {
  // The expected outcomes are calibrated for the suite's whole alphabet (an end_access is only
  // in_use after some map or raw write): a subject with fewer op kinds is not held to them.
  const demanded = suite.opKinds.every((k) => subject.opKinds.includes(k))
    ? suite.expectedOutcomes
    : [];
  const missing = demanded.filter((o) => !stats.coverage.has(o));
  if (
    missing.length > 0 &&
    budget.runs >= suite.defaultRuns &&
    budget.maxOps >= suite.defaultMaxOps
  ) {
    return { kind: 'coverage-gap', stats, missing };
  }
  return { kind: 'pass', stats };
}
