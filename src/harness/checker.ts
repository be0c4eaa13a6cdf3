// The conformance checker: drives the model and the subject (src/subject: the built-in impl by
// default) with the same op, then checks, in this order, that their results are equal, that the
// subject's state equals the model state in the parts it reports, that every state invariant
// holds on the model and on the subject's internals (when it has them), and that every step
// property holds on the transition (the same transition on both sides, once they are equal).
// The "impl" side of every report is the subject.
// fast-check has no invariant hook, so the harness owns this after every step.

import type { GrantConfig } from '../config.ts';
import { diffStates, initialState, statesEqual, step } from '../model/index.ts';
import type { EqualPair } from '../model/index.ts';
import type { ModelState } from '../model/state.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { IMPL_SUBJECT } from '../subject/impl.ts';
import { observedState, startingState } from '../subject/observe.ts';
import type { Subject, SubjectFactory, SubjectSnapshot } from '../subject/subject.ts';
import { comparesWholeState } from '../subject/subject.ts';
import type { Reads } from './reads.ts';
import { ChangedReads, partIndices } from './reads.ts';
import type { CheckMessage, DomainChecks, StateInvariant, StepProperty } from './invariant.ts';
import type { DomId } from '../ops/op.ts';
import { resultsEqual } from './results.ts';

export type Side = 'model' | 'impl';

/** A state invariant that failed on one side. */
export interface InvariantFailure {
  readonly check: 'invariant';
  readonly name: string;
  readonly side: Side;
  readonly message: string;
}

/** Which check failed; the trace and the report name it. A result or state mismatch also lists
 * the state invariants that failed at the same step (`alsoFailed`, absent when none): a fault
 * that returns the wrong status and leaks bytes is named for both. */
/** The model and the subject disagree on a step's result or state (compareOutcomes). */
export type Mismatch =
  | { readonly check: 'result-mismatch'; readonly alsoFailed?: readonly InvariantFailure[] }
  | {
      readonly check: 'state-mismatch';
      readonly diff: readonly string[];
      readonly alsoFailed?: readonly InvariantFailure[];
    };

export type Violation =
  | Mismatch
  | InvariantFailure
  | {
      readonly check: 'step-property';
      readonly name: string;
      readonly side: Side;
      readonly message: string;
    };

export interface StepVerdict {
  readonly modelResult: OpResult;
  readonly implResult: OpResult;
  readonly modelState: ModelState;
  readonly implState: ModelState;
  readonly violation: Violation | null;
}

export interface CheckerOptions {
  readonly invariants: readonly StateInvariant[];
  readonly properties: readonly StepProperty[];
  /** The system under test; the built-in impl when absent. */
  readonly subject?: SubjectFactory;
  /** Compare whole states and re-run every invariant after every step, even where nothing
   * they read changed, with every scan of the impl's tables done in full (for the test that
   * memoisation changes no verdict). */
  readonly noMemo?: boolean;
}

/** One short name for a violation, e.g. `invariant pin-accounting (impl)`. */
export function violationName(v: Violation): string {
  switch (v.check) {
    case 'result-mismatch':
      return 'result mismatch';
    case 'state-mismatch':
      return 'state mismatch';
    case 'invariant':
      return `invariant ${v.name} (${v.side})`;
    case 'step-property':
      return `step property ${v.name} (${v.side})`;
  }
}

/** Every check a violation names: its own, then those that also failed at its step, e.g.
 * `result mismatch + invariant flows-permitted (impl)`. */
export function violationChecks(v: Violation): string {
  const also = 'alsoFailed' in v ? (v.alsoFailed ?? []) : [];
  return [violationName(v), ...also.map(violationName)].join(' + ');
}

/** One op as both sides saw it. */
export interface StepObservation {
  readonly before: ModelState;
  readonly op: Op;
  readonly modelResult: OpResult;
  readonly modelState: ModelState;
  readonly implResult: OpResult;
  readonly implState: ModelState;
}

// The checks after one op come in three stages, always in this order: outcomes (results, then
// states), state invariants, step properties. Checker runs them after every op of a run; the
// exhaustive explorer's conformance mode runs the same stages on every explored transition.

/** Stage 1: equal results, then abstract(impl) equal to the model state. `known`: a model state
 * and an impl state found equal before (the previous step's), so that only what changed since
 * is compared. */
export function compareOutcomes(o: StepObservation, known?: EqualPair): Mismatch | null {
  if (!resultsEqual(o.modelResult, o.implResult)) return { check: 'result-mismatch' };
  // Neither side changed since the known pair (a refused op, a read): nothing to compare.
  if (known !== undefined && o.modelState === known.a && o.implState === known.b) return null;
  if (!statesEqual(o.modelState, o.implState, known)) {
    return { check: 'state-mismatch', diff: diffStates(o.modelState, o.implState) };
  }
  return null;
}

/** One side's state as the invariant checks see it. */
export interface InvariantSubject {
  readonly side: Side;
  /** The whole invariant on this side's state. */
  check(invariant: StateInvariant): CheckMessage;
  /** A per-domain invariant's check of domain `id` alone. */
  checkDomain(checks: DomainChecks, id: DomId): CheckMessage;
}

/** The model side: the checks read the model state. With `held`, a state on which every
 * invariant held, an invariant with an incremental check (onModelSince) looks only at what
 * changed since; its full check still decides, and names, a problem. */
export class ModelSubject implements InvariantSubject {
  readonly side = 'model';
  constructor(
    private readonly state: ModelState,
    private readonly held?: ModelState,
  ) {}
  check(invariant: StateInvariant): CheckMessage {
    const { held } = this;
    if (held !== undefined && invariant.onModelSince?.(held, this.state) === true) return null;
    return invariant.onModel(this.state);
  }
  checkDomain(checks: DomainChecks, id: DomId): CheckMessage {
    const d = this.state.domains[id];
    return d ? checks.onModel(d) : null;
  }
}

/** Re-check one invariant (reading `parts`: partIndices(invariant.reads)) after a step that
 * changed `changed`, which the state before passed: not at all if it reads nothing that
 * changed, only the changed domains if it is per-domain. */
function recheck(
  invariant: StateInvariant,
  parts: readonly number[],
  subject: InvariantSubject,
  changed: ChangedReads,
): CheckMessage {
  if (changed.all) return subject.check(invariant);
  const mask = changed.domainsAt(parts);
  if (mask === 0) return null;
  const checks = invariant.perDomain;
  if (!checks) return subject.check(invariant);
  for (let id = 0; mask >>> id !== 0; id++) {
    if ((mask >>> id) & 1) {
      const message = subject.checkDomain(checks, id);
      if (message !== null) return message;
    }
  }
  return null;
}

// A catalogue's `reads` lists are constants: their part indices and the same as bit masks (bit
// p: part index p) are worked out once per catalogue, in one lookup.
interface CatalogueParts {
  readonly parts: readonly (readonly number[])[];
  readonly masks: readonly number[];
}
const catalogueCache = new WeakMap<readonly StateInvariant[], CatalogueParts>();

function catalogueParts(invariants: readonly StateInvariant[]): CatalogueParts {
  let c = catalogueCache.get(invariants);
  if (c === undefined) {
    const parts = invariants.map((invariant) => partIndices(invariant.reads));
    const masks = parts.map((ps) => ps.reduce((m, p) => m | (1 << p), 0));
    c = { parts, masks };
    catalogueCache.set(invariants, c);
  }
  return c;
}

/** Every invariant that fails on one side, in catalogue order (no memo): what a step whose
 * outcomes already differ also broke. */
export function failingInvariants(
  subject: InvariantSubject,
  invariants: readonly StateInvariant[],
): InvariantFailure[] {
  const out: InvariantFailure[] = [];
  for (const invariant of invariants) {
    const message = subject.check(invariant);
    if (message !== null) {
      out.push({ check: 'invariant', name: invariant.name, side: subject.side, message });
    }
  }
  return out;
}

/** Stage 2, one side: every invariant, or with `changed` (what changed since a state that passed
 * them all) only what that change can have broken. */
export function checkInvariants(
  subject: InvariantSubject,
  invariants: readonly StateInvariant[],
  changed?: ChangedReads,
): Violation | null {
  if (changed?.none) return null;
  const { parts, masks } = catalogueParts(invariants);
  // The parts that changed in some domain, as one bit each: an invariant reading none of them
  // is skipped without asking per domain (most invariants, after most steps).
  const touched = changed === undefined || changed.all ? ~0 : changed.partsMask;
  for (let i = 0; i < invariants.length; i++) {
    const invariant = invariants[i];
    if (invariant === undefined || ((masks[i] ?? ~0) & touched) === 0) continue;
    const message = recheck(invariant, parts[i] ?? [], subject, changed ?? ChangedReads.ALL);
    if (message !== null) {
      return { check: 'invariant', name: invariant.name, side: subject.side, message };
    }
  }
  return null;
}

/** Stage 3: every step property on the transition. It runs only after stage 1 passed, when the
 * impl's transition (before, op, implResult, implState) equals the model's as a value; a step
 * property is a pure function of that value, so checking the model's transition checks both. */
export function checkStepProperties(
  o: StepObservation,
  properties: readonly StepProperty[],
): Violation | null {
  const transition = { before: o.before, op: o.op, result: o.modelResult, after: o.modelState };
  for (const property of properties) {
    const message = property.check(transition);
    if (message !== null) {
      return { check: 'step-property', name: property.name, side: 'model', message };
    }
  }
  return null;
}

/** The subject's state as the checks compare it with the model state `model`: all of it (a
 * complete ModelState), the model's state with the declared parts taken from the subject, or
 * (results only) the model's own. */
export type StateComparison = (model: ModelState, subject: { state(): ModelState }) => ModelState;

const comparisons = new WeakMap<SubjectFactory, StateComparison>();

/** How the checks compare `factory`'s subjects (StateComparison): decided once per factory, since
 * its declaration does not change, and one function for all its checkers. */
export function comparedState(factory: SubjectFactory): StateComparison {
  let comparison = comparisons.get(factory);
  if (comparison === undefined) {
    const parts = factory.observes;
    comparison = comparesWholeState(factory)
      ? (_model, subject) => subject.state()
      : parts.length === 0
        ? (model) => model
        : (model, subject) => observedState(model, subject.state(), parts);
    comparisons.set(factory, comparison);
  }
  return comparison;
}

// A config's initial model state, shared by every checker of that config (model states are
// immutable), and the catalogues every invariant of which it passed: `grantcheck run` starts
// thousands of runs from it, and its model-side checks give the same answer each time.
const initialStates = new WeakMap<GrantConfig, ModelState>();
const initialPassed = new WeakMap<ModelState, WeakSet<readonly StateInvariant[]>>();

// The impl side's initial checks, likewise: a built-in subject's initial state is a function of
// its factory (the impl and the parts a fault replaces) and the config — no randomness in the
// impl (DESIGN.md) — so once it passed a catalogue, every subject the factory makes for that
// config passes it. Only subjects with internals (the built-in impl, faults) are checked there.
const initialImplPassed = new WeakMap<
  SubjectFactory,
  WeakMap<GrantConfig, WeakSet<readonly StateInvariant[]>>
>();

function implInitialPassed(
  factory: SubjectFactory,
  config: GrantConfig,
): WeakSet<readonly StateInvariant[]> {
  let byConfig = initialImplPassed.get(factory);
  if (byConfig === undefined) {
    byConfig = new WeakMap();
    initialImplPassed.set(factory, byConfig);
  }
  let passed = byConfig.get(config);
  if (passed === undefined) {
    passed = new WeakSet();
    byConfig.set(config, passed);
  }
  return passed;
}

function sharedInitialState(config: GrantConfig): ModelState {
  let state = initialStates.get(config);
  if (state === undefined) {
    state = initialState(config);
    initialStates.set(config, state);
  }
  return state;
}

export class Checker {
  readonly factory: SubjectFactory;
  readonly subject: Subject;
  private modelState: ModelState;
  private readonly comparison: StateComparison;
  /** The subject's state as created, for restart: an in-process subject's (one with internals:
   * the built-in impl and the faults), whose snapshot is a copy of its memory. A subject in
   * another process is reset before every run, as docs/subject-protocol.md says. */
  private readonly created: SubjectSnapshot | undefined;

  constructor(
    readonly config: GrantConfig,
    private readonly options: CheckerOptions,
  ) {
    this.factory = options.subject ?? IMPL_SUBJECT;
    this.subject = this.factory.create(config);
    this.modelState = startingState(sharedInitialState(config), this.subject.start);
    this.comparison = comparedState(this.factory);
    this.created =
      this.factory.hasInternals &&
      this.subject.start === undefined &&
      this.subject.restore !== undefined
        ? this.subject.snapshot?.()
        : undefined;
  }

  /** Can `restart` make this checker as a new one? Only with a snapshot taken at creation
   * (`created`, kept only for a subject that can restore it). A checker that cannot is closed
   * after its run, never kept for another. */
  get restartable(): boolean {
    return this.created !== undefined;
  }

  /**
   * Make this checker as a new one for the same config and options would be, for another run:
   * the subject restored to the state it was created in (Subject.restore: the same content, so
   * the same answers to every op), the model at the initial state, nothing held from the run
   * before. Why not a new checker? A new subject's tables, their garbage and its first abstract
   * state cost the checked stream about a sixth of its time (docs/properties.md). False, changing
   * nothing, for a subject not restarted so (`created`): make a new checker.
   */
  restart(): boolean {
    if (this.created === undefined || this.subject.restore === undefined) return false;
    this.subject.restore(this.created);
    this.modelState = sharedInitialState(this.config);
    this.lastEqual = undefined;
    this.heldModel = undefined;
    this.heldImplReads = undefined;
    return true;
  }

  /** The subject's state as compared with `model` (comparedState). */
  private compared(model: ModelState): ModelState {
    return this.comparison(model, this.subject);
  }

  /** Release the subject (a child process, a VM). */
  close(): void {
    this.subject.close?.();
  }

  get model(): ModelState {
    return this.modelState;
  }

  /** Check the initial states (before any op). */
  checkInitial(): Violation | null {
    const implState = this.compared(this.modelState);
    if (!statesEqual(this.modelState, implState)) {
      return { check: 'state-mismatch', diff: diffStates(this.modelState, implState) };
    }
    const violation = this.checkStateInvariants(true);
    if (violation === null) this.lastEqual = { a: this.modelState, b: implState };
    return violation;
  }

  /** The ops `apply` will be given next, in order, unless a check fails first (after which this
   * checker is only closed): the subject may begin them early (Subject.announce). */
  announce(ops: readonly Op[]): void {
    this.subject.announce?.(ops);
  }

  apply(op: Op): StepVerdict {
    const before = this.modelState;
    const { state: modelState, result: modelResult } = step(before, op);
    const implResult = this.subject.apply(op);
    this.modelState = modelState;
    const implState = this.compared(modelState);
    const observed = { before, op, modelResult, modelState, implResult, implState };
    const outcome = compareOutcomes(observed, this.options.noMemo ? undefined : this.lastEqual);
    const violation = outcome
      ? this.withAlsoFailed(outcome)
      : (this.checkStateInvariants() ?? checkStepProperties(observed, this.options.properties));
    this.lastEqual = violation === null ? { a: modelState, b: implState } : undefined;
    return { modelResult, implResult, modelState, implState, violation };
  }

  /** A mismatch (compareOutcomes' result or state), with the state invariants that fail at its step on either side (only on a
   * failing step, so no cost to a passing run). */
  private withAlsoFailed(outcome: Mismatch): Mismatch {
    const { invariants } = this.options;
    const internals = this.subject.internals;
    const also = [
      ...failingInvariants(new ModelSubject(this.modelState), invariants),
      ...(internals ? failingInvariants(internals.view(true), invariants) : []),
    ];
    return also.length === 0 ? outcome : { ...outcome, alsoFailed: also };
  }

  /** The model and impl states of the last step whose checks all passed. */
  private lastEqual: EqualPair | undefined;

  /** The model state after the last step at which every invariant held, and what the impl
   * side's invariants read then. */
  private heldModel: ModelState | undefined;
  private heldImplReads: Reads | undefined;

  /** `initial`: the states are the initial ones (checkInitial). */
  private checkStateInvariants(initial = false): Violation | null {
    const { invariants, noMemo } = this.options;
    const internals = this.subject.internals;
    const implNow = internals?.reads();
    // Model parts are immutable and shared by a step that did not change them: the states
    // themselves say what changed (the same as comparing their modelReads).
    const modelChanged = noMemo
      ? undefined
      : this.heldModel === undefined && initialPassed.get(this.modelState)?.has(invariants)
        ? ChangedReads.NONE // the shared initial state, checked by an earlier checker
        : ChangedReads.betweenStates(this.heldModel, this.modelState);
    // The subject's initial state, where one made by the same factory for the same config
    // passed before (and the subject starts where the config says: no `start`).
    const implInitial =
      initial &&
      !noMemo &&
      this.heldImplReads === undefined &&
      this.subject.start === undefined &&
      implInitialPassed(this.factory, this.config).has(invariants);
    const implChanged =
      noMemo || !implNow
        ? undefined
        : implInitial
          ? ChangedReads.NONE
          : ChangedReads.between(this.heldImplReads, implNow);
    const violation =
      (modelChanged?.none
        ? null
        : checkInvariants(
            new ModelSubject(this.modelState, noMemo ? undefined : this.heldModel),
            invariants,
            modelChanged,
          )) ??
      (internals && implNow && !implChanged?.none
        ? checkInvariants(internals.view(noMemo), invariants, implChanged)
        : null);
    if (violation) return violation;
    if (this.heldModel === undefined && initialStates.get(this.config) === this.modelState) {
      let passed = initialPassed.get(this.modelState);
      if (passed === undefined) {
        passed = new WeakSet();
        initialPassed.set(this.modelState, passed);
      }
      passed.add(invariants);
    }
    if (
      initial &&
      this.heldImplReads === undefined &&
      implNow &&
      this.subject.start === undefined
    ) {
      implInitialPassed(this.factory, this.config).add(invariants);
    }
    this.heldModel = this.modelState;
    this.heldImplReads = implNow;
    return null;
  }
}
