// `grantcheck explore`: exhaustive breadth-first search of the core protocol model or of the
// Xen-level model (optionally against the impl: conformance, and against the core: refinement).
// Prints progress on a terminal, a summary, and on a violation a trace and its replay command.

import { join } from 'node:path';
import type { CoreAction, CoreVariant } from '../../core/index.ts';
import { coreConfigProblems } from '../../core/config.ts';
import { coreModel } from '../../core/model.ts';
import type { ExplorableModel, ExploreOutcome, ExploreProgress } from '../../explore/index.ts';
import { describeMemoryStop, explore } from '../../explore/index.ts';
import { violationInOneThread } from '../../explore/relay.ts';
import type { Fault } from '../../faults/index.ts';
import type { Op, OpKind } from '../../ops/op.ts';
import { OP_KINDS, PROFILE_OP_KINDS } from '../../ops/op.ts';
import { describeComparison, lacksKind } from '../../subject/subject.ts';
import type { SubjectFactory } from '../../subject/subject.ts';
import { TOOL } from '../../version.ts';
import type * as XenExploreIndex from '../../xenExplore/index.ts';
import type {
  ConformanceStats,
  XenAlphabet,
  XenBounds,
  XenExploreModel,
  XenExtension,
  XenExtras,
  XenPresetName,
  XenState,
} from '../../xenExplore/index.ts';
import type { XenChecks, XenRequest } from '../xenSearch.ts';
import type * as ExploreShardsModule from '../workers/exploreShards.ts';
import type { PartitionedJob } from '../workers/explorePartitioned.ts';
import type { WireExploreOutcome } from '../workers/protocol.ts';
import type { RefinementStats } from '../../refinement/index.ts';
import { coreReplayJson } from '../json.ts';
import { stylerOf } from '../colour.ts';
import { startProgress } from '../progress.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import {
  checkOutDir,
  DEFAULT_TRACE_DIR,
  parseIntOption,
  parseSecondsOption,
  UsageError,
} from '../options.ts';
import { XEN_SUBJECT } from '../../subject/xen/config.ts';
import { parseWorkers } from '../workers/split.ts';
import { traceFileName, tryWrite } from '../write.ts';

/** What --model xen needs and the core model does not. Why imported only then? Start-up: the
 * core path (the common run, issue 13) loads neither the Xen-level model, the impl and its
 * faults, the property suites (fast-check) nor the trace format (zod). */
type XenExploreModule = typeof XenExploreIndex;

async function xenTools() {
  const [faults, checker, run, format, io, xenExplore, invariants, steps, subject, search] =
    await Promise.all([
      import('../../faults/index.ts'),
      import('../../harness/checker.ts'),
      import('../../harness/run.ts'),
      import('../../trace/format.ts'),
      import('../../trace/io.ts'),
      import('../../xenExplore/index.ts'),
      import('../../../properties/invariants/index.ts'),
      import('../../../properties/invariants/stepProperties.ts'),
      import('../subject.ts'),
      import('../xenSearch.ts'),
    ]);
  return {
    findFault: faults.findFault,
    violationName: checker.violationName,
    runOps: run.runOps,
    buildTrace: format.buildTrace,
    writeXenTrace: io.writeTrace,
    xenExplore,
    INVARIANTS: invariants.INVARIANTS,
    STEP_PROPERTIES: steps.STEP_PROPERTIES,
    withSubject: subject.withSubject,
    buildXenSearch: search.buildXenSearch,
    xenModelFor: search.xenModelFor,
    exploreSharded: async (...args: Parameters<ExploreSharded>) =>
      (await import('../workers/exploreShards.ts')).exploreSharded(...args),
  };
}

type XenTools = Awaited<ReturnType<typeof xenTools>>;
type ExploreSharded = typeof ExploreShardsModule.exploreSharded;

/** The flags as typed: main.ts leaves out commander's defaults (--model, --out, --format), which
 * the command applies itself, so that a flag refused in some combination is one the user gave. */
export interface ExploreFlags {
  readonly model?: string;
  readonly domains?: string;
  readonly refs?: string;
  readonly frames?: string;
  readonly pages?: string;
  readonly maxPin?: string;
  readonly depth?: string;
  readonly maxStates?: string;
  readonly maxMemory?: string;
  readonly timeBudget?: string;
  readonly conformance?: boolean;
  readonly refinement?: boolean;
  readonly alphabet?: string;
  readonly preset?: string;
  readonly batch?: string;
  readonly extensions?: string;
  readonly maxPagesSlack?: string;
  readonly kinds?: string;
  readonly symmetry?: boolean;
  readonly variant?: string;
  readonly fault?: string;
  readonly subject?: string;
  readonly out?: string;
  /** json or itf: the Xen-level trace's format (traceFileName); a core trace has its own. */
  readonly format?: string;
  readonly json?: boolean;
  readonly replay?: string;
  readonly workers?: string;
}

export const CORE_VARIANTS: readonly CoreVariant[] = ['correct', 'end-access-ignores-mappings'];

interface Bounds {
  readonly maxDepth?: number;
  readonly maxStates?: number;
  readonly maxMemoryBytes?: number;
  readonly timeBudgetMs?: number;
}

function readBounds(flags: ExploreFlags): Bounds {
  const depth = parseIntOption('depth', flags.depth, 0, 1_000_000);
  const states = parseIntOption('max-states', flags.maxStates, 1, 2 ** 31 - 2);
  // MiB of resident memory (RSS) for the whole process, node's own baseline included.
  const memory = parseIntOption('max-memory', flags.maxMemory, 1, 1 << 20);
  if (memory !== undefined) {
    const rss = process.memoryUsage.rss();
    if (memory * 2 ** 20 <= rss) {
      throw new UsageError(
        `--max-memory: ${memory} MiB is not above this process's resident memory before the ` +
          `search (${Math.ceil(rss / 2 ** 20)} MiB); the bound is on the whole process's RSS`,
      );
    }
  }
  const time = parseSecondsOption('time-budget', flags.timeBudget, 31_536_000); // a year
  return {
    ...(depth === undefined ? {} : { maxDepth: depth }),
    ...(states === undefined ? {} : { maxStates: states }),
    ...(memory === undefined ? {} : { maxMemoryBytes: memory * 2 ** 20 }),
    ...(time === undefined ? {} : { timeBudgetMs: time * 1000 }),
  };
}

/** Bounds as recorded in a trace's origin. */
function boundsRecord(
  size: Readonly<Record<string, number | string | boolean>>,
  b: Bounds,
): Record<string, number | string | boolean> {
  return {
    ...size,
    ...(b.maxDepth === undefined ? {} : { depth: b.maxDepth }),
    ...(b.maxStates === undefined ? {} : { maxStates: b.maxStates }),
  };
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A search's progress (a bar on a terminal; the total is unknown), or none. */
interface SearchProgress {
  readonly onProgress?: (p: ExploreProgress) => void;
  /** End the bar and start one for what the command searches next, labelled `label` (its own
   * figures; Ctrl-C is answered there too). */
  readonly phase: (label: string) => void;
  readonly stop: () => void;
}

/** The progress of `explore`'s search, as `--json` and the terminal allow. */
function progressPrinter(io: Io, json: boolean | undefined): SearchProgress {
  let bar = startProgress(io, json, { label: 'explore', unit: 'states' });
  if (!bar.active) return { phase: () => {}, stop: () => {} };
  return {
    onProgress: (p) => bar.update(p.states, `depth ${p.depth}, RSS ${mib(p.rssBytes)}`),
    phase: (label) => {
      bar.stop();
      bar = startProgress(io, json, { label, unit: 'states' });
    },
    stop: () => bar.stop(),
  };
}

interface Summary {
  readonly model: string;
  readonly outcome: ExploreOutcome<unknown, unknown>;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly lines: readonly string[];
  readonly path?: readonly string[];
  /** The counterexample's trace: written after the violation is printed (or, with --json,
   * before the one JSON document), so that a failed write cannot lose it. */
  readonly trace?: {
    readonly file: string;
    readonly write: () => void;
    /** Write the trace's HTML page beside it (Xen-level traces: the viewer draws no core
     * trace); its path, or undefined when the write failed (said on stderr). */
    readonly view?: (file: string) => string | undefined;
  };
}

function report(io: Io, flags: ExploreFlags, s: Summary): CliOutcome {
  const o = s.outcome;
  const writeTrace = (): string | undefined =>
    s.trace && tryWrite(io, 'trace', s.trace.file, s.trace.write) ? s.trace.file : undefined;
  const writeView = (written: string | undefined): string | undefined =>
    written === undefined ? undefined : s.trace?.view?.(written);
  const st = o.stats;
  const result =
    o.kind === 'ok'
      ? 'OK: every reachable state explored, no violation'
      : o.kind === 'limit'
        ? `LIMIT: limit reached at depth ${o.depth} after ${st.states} states (${o.bound} bound)`
        : `VIOLATION: ${o.violated.name} after ${o.path.length} steps`;
  const memoryStop = o.kind === 'limit' ? o.memory : undefined;
  if (flags.json) {
    const written = writeTrace();
    const view = writeView(written);
    io.out(
      `${JSON.stringify(
        {
          model: s.model,
          result: o.kind,
          ...(o.kind === 'limit' ? { bound: o.bound, depth: o.depth } : {}),
          ...(memoryStop ? { memoryStop } : {}),
          states: st.states,
          transitions: st.transitions,
          maxDepth: st.maxDepth,
          elapsedMs: Math.round(st.elapsedMs),
          statesPerSecond: Math.round(st.statesPerSec),
          peakMemoryBytes: st.peakHeapBytes,
          peakRssBytes: st.peakRssBytes,
          bytesPerState: Number(st.bytesPerState.toFixed(1)),
          symmetry: st.symmetry,
          ...s.extra,
          ...(o.kind === 'violation'
            ? {
                violation: { name: o.violated.name, statement: o.violated.statement },
                path: s.path,
                ...(written ? { trace: written } : {}),
                ...(view ? { view } : {}),
              }
            : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const say = (line = '') => io.out(`${line}\n`);
    say(`grantcheck explore: ${s.model}`);
    say(`  states       ${st.states} (max depth ${st.maxDepth})`);
    say(`  transitions  ${st.transitions}`);
    say(
      `  rate         ${Math.round(st.statesPerSec)} states/s in ${(st.elapsedMs / 1000).toFixed(1)} s`,
    );
    say(
      `  memory       peak RSS ${mib(st.peakRssBytes)} (heap and buffers ${mib(st.peakHeapBytes)}); ` +
        `visited set ${st.bytesPerState.toFixed(1)} B/state`,
    );
    for (const line of s.lines) say(`  ${line}`);
    const style = stylerOf(io);
    const colour = o.kind === 'ok' ? style.pass : o.kind === 'limit' ? style.warn : style.fail;
    say(`  result       ${colour(result)}`);
    if (memoryStop) say(`               ${describeMemoryStop(memoryStop)}`);
    if (o.kind === 'violation') {
      say(`               ${o.violated.statement}`);
      say();
      (s.path ?? []).forEach((a, i) => say(`  ${String(i + 1).padStart(3)}  ${a}`));
      if (s.trace) {
        say();
        const written = writeTrace();
        if (written) say(`trace written: ${written}`);
        const view = writeView(written);
        say(
          `reproduce:     ${written ? `npx grantcheck replay ${written}` : 'run this command again'}`,
        );
        if (view) say(`view:          ${view}`);
      }
    }
  }
  return o.kind === 'ok'
    ? { kind: 'ok' }
    : o.kind === 'limit'
      ? { kind: 'limit' }
      : { kind: 'violation' };
}

async function exploreCore(flags: ExploreFlags, io: Io, bounds: Bounds): Promise<CliOutcome> {
  for (const [flag, set] of [
    ['--conformance', flags.conformance],
    ['--refinement', flags.refinement],
    ['--fault', flags.fault],
    ['--alphabet', flags.alphabet],
    ['--pages', flags.pages],
    ['--preset', flags.preset],
    ['--batch', flags.batch],
    ['--extensions', flags.extensions],
    ['--max-pages-slack', flags.maxPagesSlack],
    ['--kinds', flags.kinds],
    ['--format itf', flags.format === 'itf' ? flags.format : undefined],
    ['--subject', flags.subject],
  ] as const) {
    if (set !== undefined) throw new UsageError(`${flag} applies to --model xen only`);
  }
  const config = {
    domains: parseIntOption('domains', flags.domains, 1, 8) ?? 2,
    refs: parseIntOption('refs', flags.refs, 1, 8) ?? 2,
    frames: parseIntOption('frames', flags.frames, 1, 16) ?? 3,
    maxPin: parseIntOption('max-pin', flags.maxPin, 0, 15) ?? 2,
  };
  const problems = coreConfigProblems(config);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  const variant = (flags.variant ?? 'correct') as CoreVariant;
  if (!CORE_VARIANTS.includes(variant)) {
    throw new UsageError(
      `--variant: no variant '${flags.variant}' (known: ${CORE_VARIANTS.join(', ')})`,
    );
  }
  const model = coreModel(config, { variant });
  const symmetry = flags.symmetry === true;
  const workers = flags.workers === undefined ? 1 : parseWorkers(flags.workers);
  const progress = progressPrinter(io, flags.json);
  const { onProgress } = progress;
  let outcome: ExploreOutcome<number, CoreAction>;
  try {
    outcome =
      workers > 1
        ? await exploreSplit(
            model,
            { model: { kind: 'core', config, variant }, symmetry, bounds },
            workers,
            progress,
          )
        : explore(model, { ...bounds, symmetry, ...(onProgress ? { onProgress } : {}) });
  } finally {
    progress.stop();
  }
  if (outcome.kind !== 'violation') {
    return report(io, flags, { model: model.name, outcome, extra: {}, lines: [] });
  }
  const path = outcome.path.map((a: CoreAction) => model.formatAction?.(a) ?? '');
  const { buildCoreTrace, writeCoreTrace } = await import('../../core/trace.ts');
  const trace = buildCoreTrace({
    tool: TOOL,
    model,
    bounds: boundsRecord({ ...config, variant, symmetry: flags.symmetry === true }, bounds),
    path: outcome.path,
    states: outcome.states,
    violated: outcome.violated,
  });
  const file = join(
    flags.out ?? DEFAULT_TRACE_DIR,
    `explore-core-D${config.domains}R${config.refs}F${config.frames}M${config.maxPin}-${variant}.json`,
  );
  return report(io, flags, {
    model: model.name,
    outcome,
    extra: {},
    lines: [],
    path,
    trace: { file, write: () => writeCoreTrace(file, trace) },
  });
}

/** A search split by state across `workers` threads (src/cli/workers/explorePartitioned.ts),
 * as one search's outcome. A violation is found again in this thread by a search to its depth,
 * with a progress of its own: its path is the one a search in one thread reports. `model` is the
 * job's, built here. */
async function exploreSplit<S, A>(
  model: ExplorableModel<S, A>,
  job: PartitionedJob,
  workers: number,
  progress: SearchProgress,
): Promise<ExploreOutcome<S, A>> {
  const { explorePartitioned } = await import('../workers/explorePartitioned.ts');
  const split = await explorePartitioned(job, workers, progress.onProgress);
  const { end, stats } = split;
  switch (end.kind) {
    case 'ok':
      return { kind: 'ok', stats };
    case 'limit':
      return {
        kind: 'limit',
        bound: end.bound,
        depth: split.depth,
        ...('memory' in end && end.memory ? { memory: end.memory } : {}),
        stats,
      };
    case 'violation': {
      const { maxStates, maxMemoryBytes, timeBudgetMs } = job.bounds;
      progress.phase("explore, the violation's path in one thread");
      const { onProgress } = progress;
      return violationInOneThread(
        model,
        {
          symmetry: job.symmetry,
          ...(maxStates === undefined ? {} : { maxStates }),
          ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
          ...(timeBudgetMs === undefined ? {} : { timeBudgetMs }),
          ...(onProgress ? { onProgress } : {}),
        },
        end,
        stats,
      );
    }
    default: {
      const never: never = end;
      return never;
    }
  }
}

/** `--NAME a,b,c`: a non-empty list of names from `known`, or `none` (an empty list). */
function parseList<T extends string>(
  name: string,
  value: string | undefined,
  known: readonly T[],
  /** Said after the known values when an item is unknown. */
  note = '',
): T[] | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return [];
  const items = value.split(',').map((v) => v.trim().replace(/-/g, '_'));
  for (const item of items) {
    if (!(known as readonly string[]).includes(item)) {
      throw new UsageError(
        `--${name}: no ${name.replace(/s$/, '')} '${item}' (known: ${known.join(', ')}${note})`,
      );
    }
  }
  return [...new Set(items)] as T[];
}

/** The guest libraries' calls (docs/semantics.md §18): the Xen-level explorer runs strict
 * domains only, which answer them `unsupported`. */
const GUEST_LIBRARY_KINDS_NOTE = `; guest-library kinds, which need a non-strict profile and are not explored: ${PROFILE_OP_KINDS.join(', ')}`;

function readXenRequest(flags: ExploreFlags, x: XenExploreModule): XenRequest {
  const { MAX_XEN_BATCH, XEN_EXTENSIONS, XEN_PRESETS, xenBoundsProblems, xenExtrasProblems } = x;
  let preset: XenPresetName | undefined;
  if (flags.preset !== undefined) {
    if (!Object.hasOwn(XEN_PRESETS, flags.preset)) {
      throw new UsageError(
        `--preset: no preset '${flags.preset}' (known: ${Object.keys(XEN_PRESETS).join(', ')})`,
      );
    }
    preset = flags.preset as XenPresetName;
  }
  // The preset's values are defaults: a flag given beside it overrides its one value.
  const base = preset ? XEN_PRESETS[preset] : undefined;
  const alphabet = (flags.alphabet ?? base?.bounds.alphabet ?? 'protocol') as XenAlphabet;
  if (alphabet !== 'full' && alphabet !== 'protocol') {
    throw new UsageError(`--alphabet: '${flags.alphabet}' is not full or protocol`);
  }
  const batch = parseIntOption('batch', flags.batch, 1, MAX_XEN_BATCH) ?? base?.bounds.batch;
  const xb: XenBounds = {
    domains: parseIntOption('domains', flags.domains, 1, 4) ?? base?.bounds.domains ?? 2,
    refs: parseIntOption('refs', flags.refs, 1, 4) ?? base?.bounds.refs ?? 1,
    pages: parseIntOption('pages', flags.pages, 1, 4) ?? base?.bounds.pages ?? 1,
    maxPin: parseIntOption('max-pin', flags.maxPin, 0, 3) ?? base?.bounds.maxPin ?? 1,
    alphabet,
    ...(batch === undefined ? {} : { batch }),
  };
  const extensions =
    parseList<XenExtension>('extensions', flags.extensions, XEN_EXTENSIONS) ??
    base?.extras.extensions;
  const slack =
    parseIntOption('max-pages-slack', flags.maxPagesSlack, 0, 16) ?? base?.extras.maxPagesSlack;
  const extras: XenExtras = {
    ...(extensions === undefined || extensions.length === 0 ? {} : { extensions }),
    ...(slack === undefined ? {} : { maxPagesSlack: slack }),
  };
  const profileKind = flags.kinds
    ?.split(',')
    .map((v) => v.trim().replace(/-/g, '_'))
    .find((k) => (PROFILE_OP_KINDS as readonly string[]).includes(k));
  if (profileKind !== undefined) {
    throw new UsageError(
      `--kinds: '${profileKind}' is a guest-library op kind: it needs a non-strict profile (grantcheck run --profile), which the Xen-level explorer does not search`,
    );
  }
  const kinds =
    parseList<OpKind>('kinds', flags.kinds, OP_KINDS, GUEST_LIBRARY_KINDS_NOTE) ?? base?.kinds;
  if (kinds !== undefined && kinds.length === 0) {
    throw new UsageError('--kinds: name at least one op kind');
  }
  if (flags.refinement) {
    // Each message names what the user typed: the flag, or the preset the value came from.
    const byPreset = `--preset ${preset ?? ''}`;
    if (alphabet !== 'protocol') {
      const from =
        flags.alphabet === undefined ? `, and ${byPreset} uses --alphabet ${alphabet}` : '';
      throw new UsageError(
        `--refinement needs --alphabet protocol (docs/explore.md, "Refinement")${from}`,
      );
    }
    // A burst or a batch is many core steps in one transition: no refinement check can hold.
    const many: string[] = [];
    if ((xb.batch ?? 1) > 1) {
      many.push(
        flags.batch !== undefined ? `--batch ${xb.batch}` : `${byPreset} (--batch ${xb.batch})`,
      );
    }
    if (extras.extensions !== undefined) {
      const list = extras.extensions.join(',');
      many.push(
        flags.extensions !== undefined
          ? `--extensions ${list}`
          : `${byPreset} (its --extensions ${list}; --extensions none drops them)`,
      );
    }
    if (many.length > 0) {
      throw new UsageError(`--refinement checks one-element ops: not with ${many.join(' or ')}`);
    }
  }
  const problems = [...xenBoundsProblems(xb), ...xenExtrasProblems(xb, extras)];
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return { xb, extras, kinds, pteMaps: base?.pteMaps ?? true, preset };
}

/** What brings an op kind into the Xen-level alphabet (beyond `--alphabet full`), or that none has it. */
const NOT_EXPLORED = 'is in no Xen-level alphabet: grantcheck run checks it';
const KIND_NEEDS: Partial<Record<OpKind, string>> = {
  copy: 'needs --alphabet full --extensions copies',
  raw_write: 'needs --alphabet full --extensions hostile_writes',
  destroy_domain: 'needs --extensions deaths',
  write_page: NOT_EXPLORED,
  read_page: NOT_EXPLORED,
  write_mapped: NOT_EXPLORED,
  read_mapped: NOT_EXPLORED,
};

async function exploreXen(flags: ExploreFlags, io: Io, bounds: Bounds): Promise<CliOutcome> {
  const { findFault, xenExplore, withSubject } = await xenTools();
  if (flags.variant !== undefined) throw new UsageError('--variant applies to --model core only');
  if (flags.symmetry === true) {
    throw new UsageError(
      '--symmetry applies to --model core only (the Xen-level search always renames handles)',
    );
  }
  if (flags.frames !== undefined) {
    throw new UsageError('--frames applies to --model core; the Xen-level model takes --pages');
  }
  const fault = flags.fault === undefined ? undefined : findFault(flags.fault);
  if (flags.fault !== undefined && !fault) {
    throw new UsageError(`--fault: no fault '${flags.fault}' (see: grantcheck list)`);
  }
  if (fault?.profile !== undefined) {
    // The explorer's guests are strict: a search for it would say "OK" and mean nothing.
    throw new UsageError(
      `--fault ${fault.id}: its bug is in the ${fault.profile} guest library, which the Xen-level explorer does not run (grantcheck run --fault ${fault.id} checks it)`,
    );
  }
  const request = readXenRequest(flags, xenExplore);
  if (flags.refinement) {
    // The core model of these bounds must fit its packed state.
    const { refinementBoundsProblems } = await import('../../refinement/index.ts');
    const problems = refinementBoundsProblems(request.xb);
    if (problems.length > 0) throw new UsageError(`--refinement: ${problems.join('; ')}`);
  }
  if (flags.subject === XEN_SUBJECT) {
    // The explorer's configs (one grant frame, one maptrack frame) are not real Xen's limits.
    throw new UsageError(
      "--subject xen: explore's bounded configs differ from real Xen's limits; use run or replay",
    );
  }
  const workers = readWorkers(flags);
  return withSubject(flags.subject, fault, (subject) =>
    exploreXenAgainst(subject, request, fault, flags, io, { bounds, workers }),
  );
}

/** `--workers N`: threads to split the search over (1: this thread). With per-transition checks
 * (--conformance, --refinement, --fault) only those are split, and each worker runs the whole
 * search of the model (src/cli/workers/exploreShards.ts); without, the states are
 * (src/explore/claimed.ts). */
function readWorkers(flags: ExploreFlags): number {
  if (flags.workers === undefined) return 1;
  const workers = parseWorkers(flags.workers);
  if (workers === 1) return 1;
  if (flags.subject !== undefined) {
    throw new UsageError('--workers: a --subject is one process, checked from one thread');
  }
  return workers;
}

/** The Xen-level bounds as recorded in a trace's origin: every value the model was built from. */
function xenBoundsRecord(r: XenRequest): Record<string, number | string | boolean> {
  return {
    ...r.xb,
    batch: r.xb.batch ?? 1,
    extensions: (r.extras.extensions ?? []).join(',') || 'none',
    ...(r.extras.maxPagesSlack === undefined ? {} : { maxPagesSlack: r.extras.maxPagesSlack }),
    ...(r.kinds === undefined ? {} : { kinds: r.kinds.join(',') }),
    ...(r.preset === undefined ? {} : { preset: r.preset }),
  };
}

/** Where a search runs: in this thread, or split across workers (its states, or its
 * per-transition checks). */
interface SearchPlace {
  readonly fault: Fault | undefined;
  readonly workers: number;
  readonly bounds: Bounds;
  readonly progress: SearchProgress;
}

/** The Xen-level search with these checks, and what they counted (`countsPastStop`: split
 * across workers, some of which may have checked past where the search stopped). */
async function searchXen(
  t: XenTools,
  subject: SubjectFactory,
  request: XenRequest,
  checks: XenChecks,
  place: SearchPlace,
): Promise<{
  model: XenExploreModel;
  outcome: ExploreOutcome<XenState, Op>;
  conformance: ConformanceStats | null;
  refinement: RefinementStats | null;
  countsPastStop: boolean;
}> {
  const { workers, bounds } = place;
  const { onProgress, stop } = place.progress;
  if (workers > 1 && !checks.conformance && !checks.refinement) {
    const model = t.xenModelFor(subject, request, false);
    const job = { model: { kind: 'xen', request }, symmetry: true, bounds } as const;
    const outcome = await exploreSplit(model, job, workers, place.progress).finally(stop);
    return { model, outcome, conformance: null, refinement: null, countsPastStop: false };
  }
  if (workers > 1) {
    const model = t.xenModelFor(subject, request, checks.conformance);
    const job = { request, fault: place.fault?.id ?? null, bounds, ...checks };
    const sharded = await t.exploreSharded(job, workers, onProgress).finally(stop);
    return { model, ...sharded, outcome: withStates(model, sharded.outcome) };
  }
  const { model, conformance, refinement, onTransition } = t.buildXenSearch(
    subject,
    request,
    checks,
  );
  // Why always symmetric? Maptrack handle numbers rotate with every map and unmap; without the
  // quotient even two domains with one ref have millions of states (src/xenExplore/handles.ts).
  const outcome = explore(model, {
    ...bounds,
    symmetry: true,
    ...(onProgress ? { onProgress } : {}),
    ...(onTransition ? { onTransition } : {}),
  });
  stop();
  return {
    model,
    outcome,
    conformance: conformance?.stats() ?? null,
    refinement: refinement?.stats() ?? null,
    countsPastStop: false,
  };
}

/** A shard's outcome with the states its path goes through, stepped again here. */
function withStates(model: XenExploreModel, o: WireExploreOutcome): ExploreOutcome<XenState, Op> {
  if (o.kind !== 'violation') return o;
  const states = [model.initial()];
  for (const op of o.path) {
    const next = model.step(states[states.length - 1] as XenState, op);
    if (next === null) throw new Error('explore: a shard reported a path the model does not take');
    states.push(next);
  }
  return { ...o, states };
}

async function exploreXenAgainst(
  subject: SubjectFactory,
  request: XenRequest,
  fault: Fault | undefined,
  flags: ExploreFlags,
  io: Io,
  { bounds, workers }: { readonly bounds: Bounds; readonly workers: number },
): Promise<CliOutcome> {
  const t = await xenTools();
  const { INVARIANTS, STEP_PROPERTIES } = t;
  const { runOps, violationName, buildTrace, writeXenTrace } = t;
  const { XEN_PRESETS } = t.xenExplore;
  const { xb, kinds } = request;
  const alphabet = xb.alphabet;
  // A kind the subject lacks is refused, not dropped: the search would silently check less
  // than the command line says.
  const lacking = kinds?.find((k) => !subject.opKinds.includes(k));
  if (lacking !== undefined) {
    const from = flags.kinds !== undefined ? '--kinds' : `--preset ${request.preset ?? ''}`;
    throw new UsageError(`${from}: ${lacksKind(subject, lacking)}`);
  }
  if (flags.kinds !== undefined) {
    // A kind the alphabet never issues would be cut silently, to a search of the rest (or of
    // the initial state alone, "OK").
    const issued = t.xenExplore.alphabetKinds(request.xb, request.extras);
    const missing = (request.kinds ?? []).filter((k) => !issued.has(k));
    if (missing.length > 0) {
      const needs = missing.map((k) => `${k} ${KIND_NEEDS[k] ?? 'needs --alphabet full'}`);
      throw new UsageError(
        `--kinds: the ${request.xb.alphabet} alphabet here has no ${missing.join(', ')} op (${needs.join('; ')})`,
      );
    }
  }
  // A fault or a subject is only visible in conformance: either implies --conformance.
  const conformant = flags.conformance || fault !== undefined || flags.subject !== undefined;
  const { model, outcome, conformance, refinement, countsPastStop } = await searchXen(
    t,
    subject,
    request,
    { conformance: conformant, refinement: flags.refinement === true },
    { fault, workers, bounds, progress: progressPrinter(io, flags.json) },
  );
  if (flags.kinds !== undefined && outcome.kind === 'ok' && outcome.stats.states === 1) {
    // A cut whose ops all need one it left out (an unmap a map, a map a grant, a transfer an
    // offer): "every reachable state explored" would be the initial state alone.
    throw new UsageError(
      `--kinds ${flags.kinds}: no op of these kinds changes the initial state, so there is nothing to explore (an unmap needs a map, a map a grant, a transfer an offer: add their kinds)`,
    );
  }
  const cut = kinds ? ` ${kinds.join(',')}` : '';
  const name = `${model.name}${cut}${fault ? ` against fault ${fault.id}` : ''}`;
  const lines: string[] = [
    conformant
      ? 'symmetry     maptrack handle renaming (always on)'
      : 'symmetry     maptrack handle renaming, stale entry bytes, unused maptrack frame (always on)',
  ];
  if (model.domainSymmetry) {
    lines.push(`             domains 1..${xb.domains - 1} renamed with their frames (always on)`);
  }
  if (request.preset)
    lines.unshift(`preset       ${request.preset}: ${XEN_PRESETS[request.preset].summary}`);
  const extra: Record<string, unknown> = {
    alphabet,
    fault: fault?.id ?? null,
    ...(request.preset ? { preset: request.preset } : {}),
  };
  if (conformance) {
    const c = conformance;
    lines.push(
      `conformance  ${describeComparison(subject)}`,
      `             ${c.checked} transitions applied to it, ${c.mismatches} mismatches; ` +
        `at most ${c.peakSnapshots} impl snapshots (~${mib(c.peakSnapshotBytes)})`,
    );
    extra['conformance'] = { ...c, compared: describeComparison(subject) };
  }
  if (refinement) {
    const r = refinement;
    const kinds = Object.entries(r.byCoreAction)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    lines.push(`refinement   ${r.checked} transitions: ${r.stutters} no change; ${kinds}`);
    extra['refinement'] = r;
  }
  if (countsPastStop) {
    // Each worker counts what it checked until it stopped; where the search stopped is only
    // known after (docs/explore.md, "The checks, split").
    const past = outcome.kind === 'violation' ? 'the failure' : 'the cut';
    lines.push(
      `             counts summed over ${workers} workers, some of which may have checked on past ${past}`,
    );
    extra['countsPastStop'] = true;
  }
  if (outcome.kind !== 'violation')
    return report(io, flags, { model: name, outcome, extra, lines });
  const ops = outcome.path;
  const path = ops.map((a) => model.formatAction?.(a) ?? '');
  if (outcome.violated.name === 'refinement') {
    // Model and impl agree on this path; only the core disagrees: no harness trace to replay.
    return report(io, flags, { model: name, outcome, extra, lines, path });
  }
  const run = runOps(model.config, ops, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    subject,
  });
  if (run.failure)
    lines.push(
      `harness      ${violationName(run.failure.violation)} at step ${run.failure.step + 1}`,
    );
  const trace = buildTrace({
    tool: TOOL,
    config: model.config,
    fault: fault?.id ?? null,
    origin: {
      engine: 'explore',
      model: model.name,
      bounds: boundsRecord(
        { ...xenBoundsRecord(request), conformance: conformance !== undefined },
        bounds,
      ),
    },
    report: run,
  });
  const file = join(
    flags.out ?? DEFAULT_TRACE_DIR,
    traceFileName(
      `explore-xen-D${xb.domains}R${xb.refs}P${xb.pages}M${xb.maxPin}-${alphabet}${request.preset ? `-${request.preset}` : ''}${fault ? `-${fault.id}` : ''}`,
      flags.format,
    ),
  );
  // The page replays the trace against the built-in impl: for another subject it would show
  // the built-in impl's states, not the ones that failed (as in run).
  const viewer = flags.subject === undefined ? await import('../../view/index.ts') : undefined;
  const view = viewer
    ? (written: string) => {
        const out = viewer.viewPathOf(written);
        return tryWrite(io, 'view', out, () => viewer.writeTraceView(written)) ? out : undefined;
      }
    : undefined;
  return report(io, flags, {
    model: name,
    outcome,
    extra,
    lines,
    path,
    trace: { file, write: () => writeXenTrace(file, trace), ...(view ? { view } : {}) },
  });
}

async function replayCore(file: string, flags: ExploreFlags, io: Io): Promise<CliOutcome> {
  const { loadCoreTrace, replayCoreTrace } = await import('../../core/trace.ts');
  const loaded = loadCoreTrace(file);
  if (!loaded.ok) return { kind: 'usage', message: `${file}: ${loaded.error}` };
  const { trace } = loaded;
  let variant: CoreVariant | undefined;
  if (flags.variant !== undefined) {
    variant = flags.variant as CoreVariant;
    if (!CORE_VARIANTS.includes(variant)) {
      return { kind: 'usage', message: `--variant: no variant '${flags.variant}'` };
    }
  }
  const replay = replayCoreTrace(trace, variant);
  // A step the model does not enable (the correct variant refuses the bug's step) is no failure.
  const failed = replay.verdict.kind === 'violation';
  if (flags.json) {
    io.out(`${JSON.stringify(coreReplayJson(replay), null, 2)}\n`);
  } else {
    io.out(
      `replaying ${file}: ${trace.steps.length} core steps, ${trace.origin.model}, variant ${variant ?? trace.variant}\n\n`,
    );
    io.out(`     (initial) ${trace.initialState}\n`);
    replay.rows.forEach((r, i) => {
      if (!r.enabled) io.out(`>${String(i + 1).padStart(3)}  ${r.action}  NOT ENABLED\n`);
      if (!r.enabled) return;
      const mark = r.broken ? '>' : ' ';
      io.out(
        `${mark}${String(i + 1).padStart(3)}  ${r.action}${r.enabled ? '' : '  NOT ENABLED'}\n       ${r.state}\n`,
      );
      if (r.broken) io.out(`       ^ FAILED: invariant ${r.broken}\n`);
    });
    io.out(
      `\nresult: ${failed ? 'FAILS' : 'PASSES'} (${replay.matchesRecorded ? 'same as recorded' : 'differs from the recorded verdict'})\n`,
    );
  }
  return failed ? { kind: 'violation' } : { kind: 'ok' };
}

/** The flags of a search, as typed (main.ts leaves commander's defaults out): a replay re-runs
 * the trace's recorded bounds and writes nothing, so it takes none of them. */
function searchFlags(flags: ExploreFlags): string[] {
  const typed: [string, string | boolean | undefined][] = [
    ['--model', flags.model],
    ['--domains', flags.domains],
    ['--refs', flags.refs],
    ['--frames', flags.frames],
    ['--pages', flags.pages],
    ['--max-pin', flags.maxPin],
    ['--depth', flags.depth],
    ['--max-states', flags.maxStates],
    ['--max-memory', flags.maxMemory],
    ['--time-budget', flags.timeBudget],
    ['--symmetry', flags.symmetry],
    ['--alphabet', flags.alphabet],
    ['--preset', flags.preset],
    ['--batch', flags.batch],
    ['--extensions', flags.extensions],
    ['--max-pages-slack', flags.maxPagesSlack],
    ['--kinds', flags.kinds],
    ['--conformance', flags.conformance],
    ['--refinement', flags.refinement],
    ['--fault', flags.fault],
    ['--subject', flags.subject],
    ['--workers', flags.workers],
    ['--out', flags.out],
    ['--format', flags.format],
  ];
  return typed.flatMap(([flag, v]) =>
    v === undefined || v === false ? [] : [v === true ? flag : `${flag} ${v}`],
  );
}

export async function exploreCommand(flags: ExploreFlags, io: Io): Promise<CliOutcome> {
  if (flags.replay !== undefined) {
    // Why refuse rather than apply? A trace is a path through the model its bounds built: other
    // bounds make another model, where the path may name refs or frames that do not exist. As
    // with `grantcheck replay`, only the variant (the fault's analogue) may change.
    const extra = searchFlags(flags);
    if (extra.length > 0) {
      throw new UsageError(
        `--replay re-runs the bounds recorded in ${flags.replay}: not with ${extra.join(', ')} ` +
          '(only --variant and --json; explore without --replay to search other bounds)',
      );
    }
    return replayCore(flags.replay, flags, io);
  }
  checkOutDir('out', flags.out ?? DEFAULT_TRACE_DIR);
  const bounds = readBounds(flags);
  const which = flags.model ?? 'core';
  if (which === 'core') return exploreCore(flags, io, bounds);
  if (which === 'xen') return exploreXen(flags, io, bounds);
  throw new UsageError(`--model: '${which}' is not core or xen`);
}
