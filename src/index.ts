// grantcheck's library surface (the package's one entry point, `import … from 'grantcheck'`): the
// op vocabulary, the reference model, the invariant catalogue, the runners and their outcomes,
// traces and faults, enough for a user's test file to write and run its own properties.
// Why `export const x = imported` rather than `export { x }`? The TSDoc below then sits on the
// exported declaration itself, so it is what a user's editor shows for the package's names.

import { DEFAULT_CONFIG as defaultConfig, makeConfig as makeGrantConfig } from './config.ts';
import type { InterleavedReplay as InterleavedReplayOutcome } from './interleave/trace.ts';
import { replayInterleaved, scenarioOfTrace } from './interleave/trace.ts';
import type { GrantConfig as Config } from './config.ts';
import {
  explore as bfsExplore,
  describeOutcome as describeExploreOutcome,
} from './explore/index.ts';
import type {
  ExplorableModel as Explorable,
  ExploreOptions as BfsOptions,
  ExploreOutcome as BfsOutcome,
} from './explore/index.ts';
import {
  FAULTS as faultCatalogue,
  faultSubject as subjectOfFault,
  findFault as faultById,
  subjectOf as faultSubjectOf,
} from './faults/index.ts';
import { assertSuite as suiteAssertion, SuiteAssertionError as SuiteFailure } from './assert.ts';
import type { AssertSuiteOptions as SuiteAssertionOptions } from './assert.ts';
import {
  checkSuiteRun as checkOneRun,
  suiteRuns as suiteRunArbitrary,
} from './harness/property.ts';
import type { SuiteRun as OneSuiteRun } from './harness/property.ts';
import { IMPL_SUBJECT as builtInImpl, implSubject as builtInSubject } from './subject/impl.ts';
import {
  describeComparison as comparisonOf,
  STATE_PARTS as stateParts,
  SubjectError as BadSubject,
} from './subject/subject.ts';
import type {
  StatePart as Part,
  Subject as SystemUnderTest,
  SubjectFactory as SystemFactory,
} from './subject/subject.ts';
import { openWireSubject as startWireSubject } from './subject/wire/wireSubject.ts';
import type { Fault as FaultSpec } from './faults/index.ts';
import { violationName as nameOfViolation } from './harness/checker.ts';
import type { Violation as CheckViolation } from './harness/checker.ts';
import type { ImplView as View } from './harness/implView.ts';
import type {
  CheckMessage as Message,
  StateInvariant as Invariant,
  StepProperty as Property,
  Transition as ModelTransition,
} from './harness/invariant.ts';
import { runSuite as randomRun } from './harness/random.ts';
import type { RandomOptions as RandomRunOptions } from './harness/random.ts';
import { READ_NAMES as readNames } from './harness/reads.ts';
import type { ReadName as Read } from './harness/reads.ts';
import { runOps as runOpSequence } from './harness/run.ts';
import type {
  RunOptions as OpRunOptions,
  RunReport as OpRunReport,
  StepRecord as OpStepRecord,
} from './harness/run.ts';
import type {
  ReplayInfo as FastCheckReplay,
  Suite as PropertySuite,
  SuiteOutcome as PropertySuiteOutcome,
  SuiteStats as PropertySuiteStats,
} from './harness/suite.ts';
import {
  describeState as describeModelState,
  diffStates as diffModelStates,
  initialState as modelInitialState,
  stateKey as modelStateKey,
  statesEqual as modelStatesEqual,
  step as modelStep,
} from './model/index.ts';
import type { Step as ModelStep } from './model/index.ts';
import type {
  ActiveGrant as Active,
  DomainState as Domain,
  GrantMapping as Mapping,
  GrantTable as Table,
  HostMapping as Pte,
  Maptrack as MaptrackTable,
  ModelState as State,
  SharedEntry as Entry,
} from './model/state.ts';
import { OP_KINDS as opKinds } from './ops/op.ts';
import type {
  DomId as DomainId,
  EndAccessOp as EndAccess,
  EndTransferOp as EndTransfer,
  Gfn as GuestFrame,
  GrantAccessOp as GrantAccess,
  GrantTransferOp as GrantTransfer,
  GuestOp as GuestLibraryOp,
  Handle as GrantHandle,
  HypercallOp as Hypercall,
  MapGrantRefOp as MapGrantRef,
  Mfn as MachineFrame,
  Op as Operation,
  OpKind as OperationKind,
  QuerySizeOp as QuerySize,
  RawWriteOp as RawWrite,
  Ref as GrantRef,
  SetupTableOp as SetupTable,
  TransferOp as Transfer,
  UnmapGrantRefOp as UnmapGrantRef,
  UnmapAndReplaceOp as UnmapAndReplace,
} from './ops/op.ts';
import type { OpResult as OperationResult } from './ops/result.ts';
import {
  formatOp as printOp,
  formatResult as printResult,
  parseOp as parseOpText,
} from './ops/text.ts';
import type { ParseResult as OpParseResult } from './ops/text.ts';
import { buildTrace as traceOf } from './trace/format.ts';
import type { Trace as TraceFile } from './trace/format.ts';
import { loadTrace as readTrace, writeTrace as saveTrace } from './trace/io.ts';
import type { LoadResult as TraceLoadResult } from './trace/io.ts';
import { replayTrace as replay } from './trace/replay.ts';
import type {
  ReplayOptions as TraceReplayOptions,
  ReplayOutcome as TraceReplayOutcome,
} from './trace/replay.ts';
import { VERSION as version } from './version.ts';
import {
  DEFAULT_XEN_BOUNDS as defaultXenBounds,
  xenModel as xenExploreModel,
} from './xenExplore/index.ts';
import type { XenBounds as Bounds, XenExploreModel as XenModel } from './xenExplore/index.ts';
import { INVARIANTS as invariantCatalogue } from '../properties/invariants/index.ts';
import { STEP_PROPERTIES as stepPropertyCatalogue } from '../properties/invariants/stepProperties.ts';
import { buildSuite as suiteByName, SUITE_NAMES as suiteNames } from '../properties/suites.ts';

/** This package's version, as `grantcheck --version` prints it and traces record it. */
export const VERSION: string = version;

// --- Configuration ------------------------------------------------------------------------------

/** The size of the simulated machine: domains, grant-table frames, maptrack frames, pages. */
export type GrantConfig = Config;
/** The configuration the suites and the CLI use unless told otherwise (3 domains). */
export const DEFAULT_CONFIG: GrantConfig = defaultConfig;
/** DEFAULT_CONFIG with some fields replaced; throws on a configuration that fails validation. */
export const makeConfig = makeGrantConfig;

// --- Ops: the one vocabulary of model, impl, generators, traces and CLI -------------------------

/** Any operation: a guest-library call or a grant-table hypercall, discriminated on `kind`. */
export type Op = Operation;
/** The `kind` of an op, e.g. `'map_grant_ref'`. */
export type OpKind = OperationKind;
/** Every op kind, in the order reports list them. */
export const OP_KINDS = opKinds;
/** A guest-library call: a domain acting on its own shared grant table. */
export type GuestOp = GuestLibraryOp;
/** A `GNTTABOP_*` hypercall sub-op (map and unmap take batches, as Xen's do). */
export type HypercallOp = Hypercall;
/** gnttab_grant_foreign_access_ref: let `grantee` map or copy the page at `gfn`. */
export type GrantAccessOp = GrantAccess;
/** gnttab_end_foreign_access_ref: invalidate an access entry unless Xen holds a pin on it. */
export type EndAccessOp = EndAccess;
/** gnttab_grant_foreign_transfer_ref: accept a page from another domain into `gfn`. */
export type GrantTransferOp = GrantTransfer;
/** gnttab_end_foreign_transfer_ref: close a transfer entry, or collect the transferred page. */
export type EndTransferOp = EndTransfer;
/** A guest writing a shared entry's fields directly, bypassing its library (hostile guests). */
export type RawWriteOp = RawWrite;
/** GNTTABOP_map_grant_ref: a batch of mappings of other domains' grants. */
export type MapGrantRefOp = MapGrantRef;
/** GNTTABOP_unmap_grant_ref: a batch of unmappings by handle. */
export type UnmapGrantRefOp = UnmapGrantRef;
/** GNTTABOP_transfer: a batch of page transfers to other domains' transfer entries. */
export type TransferOp = Transfer;
/** GNTTABOP_setup_table: grow a domain's grant table. */
export type SetupTableOp = SetupTable;
/** GNTTABOP_query_size: a domain's current and maximum grant-table size. */
export type QuerySizeOp = QuerySize;
/** GNTTABOP_unmap_and_replace (x86 PV): unmap by handle, moving new_addr's PTE into the slot. */
export type UnmapAndReplaceOp = UnmapAndReplace;
/** A domain id (Xen's `domid_t`). */
export type DomId = DomainId;
/** A grant reference: an index into a domain's grant table (`grant_ref_t`). */
export type Ref = GrantRef;
/** A guest frame number: a page in a domain's own physical address space. */
export type Gfn = GuestFrame;
/** A machine frame number. */
export type Mfn = MachineFrame;
/** A grant handle: an index into the mapping domain's maptrack table. */
export type Handle = GrantHandle;
/** An op's result, discriminated on `kind` like the op; statuses are Xen's `GNTST_*` values. */
export type OpResult = OperationResult;
/** The op's canonical text form, e.g. `map(d2: d1 ref=8 host|ro @0x1000)`. */
export const formatOp = printOp;
/** Parse an op's text form (the inverse of formatOp): `{ ok: true, op }` or `{ ok: false, error }`. */
export const parseOp = parseOpText;
/** What parseOp returns. */
export type ParseResult = OpParseResult;
/** A result's text form, as reports show it, e.g. `okay h=0 dev=0x0`. */
export const formatResult = printResult;

// --- The reference model: a pure step function over immutable state ----------------------------

/** The model's state: every domain's grant table, active entries, maptrack, p2m and mappings. */
export type ModelState = State;
/** One domain's part of the model state. */
export type DomainState = Domain;
/** A domain's shared grant table (its v1 entries) and size. */
export type GrantTable = Table;
/** A v1 shared grant entry: `flags`, `domid`, `frame`, as the guest and Xen see them. */
export type SharedEntry = Entry;
/** Xen's private active entry for a granted ref: pin counts, the frame, the grantee. */
export type ActiveGrant = Active;
/** One maptrack entry: which granter's ref the handle maps, and how. */
export type GrantMapping = Mapping;
/** A host mapping (a page-table entry) made by map_grant_ref. */
export type HostMapping = Pte;
/** A domain's maptrack table: its mappings and the handle free list in Xen's order. */
export type Maptrack = MaptrackTable;
/** What `step` returns: the next state and the op's result. */
export type Step = ModelStep;
/** The state of a freshly booted machine of this configuration: empty tables, no mappings. */
export const initialState = modelInitialState;
/** The model's transition: pure and total (an invalid call is a modelled `GNTST_*` result). */
export const step = modelStep;
/** A canonical key: equal keys iff equal states (for hashing and deduplication). */
export const stateKey = modelStateKey;
/** Are two model states equal (the refinement check's comparison)? */
export const statesEqual = modelStatesEqual;
/** A readable description of a state, one line per fact. */
export const describeState = describeModelState;
/** The facts that differ between two states, one line each. */
export const diffStates = diffModelStates;

// --- Invariants and step properties: the catalogue, and the shapes of your own ------------------

/** One line saying what is wrong, or null when the check holds. */
export type CheckMessage = Message;
/** A named invariant, checked on the model state and on the impl's own structures after every
 * step. Add your own to a suite's `invariants`. */
export type StateInvariant = Invariant;
/** A named property of every transition (before, op, result, after). */
export type StepProperty = Property;
/** What a step property sees: the state before, the op, its result, the state after. */
export type Transition = ModelTransition;
/** The impl's structures as an invariant's `onImpl` reads them. */
export type ImplView = View;
/** A part of the state an invariant reads (its `reads`): the checker re-runs it only after a step
 * that changed one of them. */
export type ReadName = Read;
/** Every ReadName. */
export const READ_NAMES = readNames;
/** The invariant catalogue (docs/properties.md): every named state invariant. */
export const INVARIANTS = invariantCatalogue;
/** The catalogue's step properties. */
export const STEP_PROPERTIES = stepPropertyCatalogue;

// --- Runners and their outcomes -----------------------------------------------------------------

/** A property suite as a value: configuration, op generators, invariants, budget. */
export type Suite = PropertySuite;
/** The names buildSuite accepts: `conformance`, `protocol`. */
export const SUITE_NAMES = suiteNames;
/** A built-in suite by name over `config` (DEFAULT_CONFIG if omitted), or undefined. */
export const buildSuite = suiteByName;
/** Options of runSuite: `seed` (required), runs, maxOps, fast-check's replay path, the subject
 * (the built-in impl by default). */
export type RandomOptions = RandomRunOptions;
/** Random model-based testing: fast-check runs of the suite's ops against model and impl, every
 * check after every op, shrunk on failure. Same seed and options, same outcome. */
export const runSuite = randomRun;
/** runSuite's outcome: `pass`, `coverage-gap` (an expected outcome never seen), or `violation`
 * (with the shrunk ops, the failing step's report and fast-check's replay information). */
export type SuiteOutcome = PropertySuiteOutcome;
/** Runs, ops, time and outcome coverage of a suite run. */
export type SuiteStats = PropertySuiteStats;
/** fast-check's `seed` and `path` (and the commands' `replayPath`) of a failure. */
export type ReplayInfo = FastCheckReplay;
/** Which check failed: result mismatch, state mismatch, or a named invariant or step property. */
export type Violation = CheckViolation;
/** One short name for a violation, e.g. `invariant pin-accounting (impl)`. */
export const violationName = nameOfViolation;
/** Options of runOps: the invariants and step properties to check, and the subject. */
export type RunOptions = OpRunOptions;
/** Run a fixed op sequence against model and impl, checking after every op; stops at the first
 * violation. */
export const runOps = runOpSequence;
/** runOps' record: the initial state, every step, and the failure (null when all passed). */
export type RunReport = OpRunReport;
/** One step of a run: the op, both results, both states. */
export type StepRecord = OpStepRecord;
/** A model the explorer can search: initial state, actions, step, key, invariants. */
export type ExplorableModel<S, A> = Explorable<S, A>;
/** The explorer's bounds (depth, states, memory, time) and options. */
export type ExploreOptions<S, A> = BfsOptions<S, A>;
/** The explorer's outcome: `ok`, `violation` (with the shortest path), or `limit` (a bound hit). */
export type ExploreOutcome<S, A> = BfsOutcome<S, A>;
/** Exhaustive breadth-first search within bounds; counterexamples are shortest by construction. */
export const explore = bfsExplore;
/** One line describing an explore outcome, for logs. */
export const describeOutcome = describeExploreOutcome;
/** The bounds of the Xen-level model: domains, refs, pages, pins, the op alphabet. */
export type XenBounds = Bounds;
/** The bounds `grantcheck explore --model xen` uses by default. */
export const DEFAULT_XEN_BOUNDS = defaultXenBounds;
/** The reference model as an ExplorableModel (its states wrap ModelState; its actions are Ops). */
export type XenExploreModel = XenModel;
/** The reference model within `bounds`, for explore; throws RangeError on invalid bounds. */
export const xenModel = xenExploreModel;

// --- Traces: one versioned JSON format for every counterexample ---------------------------------

/** A trace: config, fault, origin, verdict, the ops with both results and the state after each. */
export type Trace = TraceFile;
/** What loadTrace returns: `{ ok: true, trace }` or `{ ok: false, error }` naming the bad field. */
export type LoadResult = TraceLoadResult;
/** Read and validate a trace file; never throws on a bad file. */
export const loadTrace = readTrace;
/** Write a trace atomically (a complete file or none). */
export const writeTrace = saveTrace;
/** A trace from a run's report, its config and origin. */
export const buildTrace = traceOf;
/** Options of replayTrace: invariants, step properties, the subject. */
export type ReplayOptions = TraceReplayOptions;
/** What replayTrace returns: the run, its verdict, whether it matches the recorded one, and the
 * step-by-step table. */
export type ReplayOutcome = TraceReplayOutcome;
/** Re-run a trace's ops against model and impl. */
export const replayTrace = replay;

// --- Faults: deliberately broken impls, each re-creating one real bug ---------------------------

/** A fault: an id, the bug it re-creates, and the impl parts it replaces. */
export type Fault = FaultSpec;
/** Every fault (docs/faults.md). */
export const FAULTS = faultCatalogue;
/** The fault with this id, or undefined. */
export const findFault = faultById;

/** Load a trace file and replay it against the fault it names (or `fault`: an id, or null for
 * the correct impl), checking the whole catalogue. Throws on a malformed file or unknown fault. */
export function replayTraceFile(path: string, fault?: string | null): ReplayOutcome {
  const loaded = readTrace(path);
  if (!loaded.ok) throw new Error(`${path}: ${loaded.error}`);
  if (loaded.trace.interleaving !== undefined) {
    throw new Error(`${path}: an interleaved trace (replay it with replayInterleavedTraceFile)`);
  }
  const id = fault === undefined ? loaded.trace.fault : fault;
  const found = id === null ? undefined : faultById(id);
  if (id !== null && !found) throw new Error(`unknown fault '${id}'`);
  return replay(loaded.trace, {
    invariants: invariantCatalogue,
    properties: stepPropertyCatalogue,
    subject: faultSubjectOf(found),
  });
}

/** What replayInterleavedTraceFile returns: the steps as run (for columns), the violation and
 * the verdict. */
export type InterleavedReplay = InterleavedReplayOutcome;

/** Re-run an interleaved trace (grantcheck interleave) file's schedule, against its recorded
 * fault or `fault` (null: the correct impl); its steps, violation and verdict. */
export function replayInterleavedTraceFile(path: string, fault?: string | null): InterleavedReplay {
  const loaded = readTrace(path);
  if (!loaded.ok) throw new Error(`${path}: ${loaded.error}`);
  const scenario = scenarioOfTrace(loaded.trace);
  if (scenario === undefined) throw new Error(`${path}: not an interleaved trace`);
  const id = fault === undefined ? loaded.trace.fault : fault;
  const found = id === null ? undefined : faultById(id);
  if (id !== null && !found) throw new Error(`unknown fault '${id}'`);
  return replayInterleaved(loaded.trace, scenario, found?.parts ?? {}, invariantCatalogue);
}

// --- In a user's own test file -----------------------------------------------------------------

/** Run a suite as one assertion: throws a SuiteAssertionError whose message is the whole report
 * (failing check, shrunk ops with both results, seed, fast-check path, the kept trace). */
export const assertSuite = suiteAssertion;
/** What assertSuite throws; `outcome` and `tracePath` are attached. */
export const SuiteAssertionError = SuiteFailure;
/** What assertSuite throws, as a type. */
export type SuiteAssertionError = SuiteFailure;
/** assertSuite's options: runSuite's, with the seed optional (fresh and reported) and where to
 * keep the failure's trace. */
export type AssertSuiteOptions = SuiteAssertionOptions;

/** A suite's op programs as a fast-check arbitrary, for @fast-check/vitest's `test.prop`. */
export const suiteRuns = suiteRunArbitrary;
/** The body of that property: every check over one program; throws the report on a violation. */
export const checkSuiteRun = checkOneRun;
/** One generated program of a suite (fast-check commands). */
export type SuiteRun = OneSuiteRun;

// --- Subjects: the system under test ------------------------------------------------------------

/** The system under test as the engines see it: apply an op, report state in declared parts,
 * optionally snapshot/restore and expose internals (docs/subject-protocol.md). */
export type Subject = SystemUnderTest;
/** A kind of subject: its name, the op kinds it implements, the state parts it reports, and how
 * to start a fresh instance. Pass one as `subject` to runSuite, runOps, replayTrace. */
export type SubjectFactory = SystemFactory;
/** A part of the model state a subject may report. */
export type StatePart = Part;
/** Every part a subject may report. */
export const STATE_PARTS = stateParts;
/** The built-in impl, or with parts replaced. */
export const implSubject = builtInSubject;
/** The correct built-in impl: the default subject. */
export const IMPL_SUBJECT = builtInImpl;
/** A fault as a subject: the built-in impl with the fault's parts replaced. */
export const faultSubject = subjectOfFault;
/** Start a subject in another process (a shell command line speaking the wire protocol). */
export const openWireSubject = startWireSubject;
/** A subject that sent a bad message, crashed or hung: one line for the user. */
export const SubjectError = BadSubject;
/** What the checks compare against a subject, in one line. */
export const describeComparison = comparisonOf;
