// Conformance mode: every transition the Xen-level search takes is also applied to the subject
// (the built-in impl by default), restored to the parent's state from a snapshot or, for a
// subject that cannot save its state, by re-applying the ops that lead there from a fresh
// instance. The results, the reported state, every state invariant on the subject's internals
// and every step property are checked, as the harness's Checker does.

import type {
  ExploreOptions,
  StateKey,
  TransitionContext,
  TransitionFailure,
} from '../explore/index.ts';
import { StateKeyMap } from '../explore/index.ts';
import type { StateComparison, Violation } from '../harness/checker.ts';
import {
  checkInvariants,
  checkStepProperties,
  compareOutcomes,
  comparedState,
  violationName,
} from '../harness/checker.ts';
import type { StateInvariant, StepProperty } from '../harness/invariant.ts';
import type { Reads } from '../harness/reads.ts';
import { ChangedReads } from '../harness/reads.ts';
import type { EqualPair } from '../model/index.ts';
import { statesEqual } from '../model/index.ts';
import type { ModelState } from '../model/state.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { IMPL_SUBJECT } from '../subject/impl.ts';
import type { Subject, SubjectFactory, SubjectSnapshot } from '../subject/subject.ts';
import { SubjectError } from '../subject/subject.ts';
import { actingDomain } from '../ops/op.ts';
import type { Renaming } from './handles.ts';
import {
  canonicalRenaming,
  compose,
  invert,
  renameOp,
  renameResult,
  renameState,
} from './handles.ts';
import type { XenExploreModel } from './model.ts';
import type { XenState } from './state.ts';

export interface ConformanceOptions {
  readonly invariants: readonly StateInvariant[];
  readonly properties: readonly StepProperty[];
  /** The system under test; the built-in impl when absent. */
  readonly subject?: SubjectFactory;
  /** Check every transition the slow way, for the tests that the fast paths change no verdict:
   * each from a fresh instance restored to the parent (nothing kept from earlier transitions),
   * every state compared in full, no shortcut for a step that left the subject as it was. */
  readonly slow?: boolean;
  /** Check only the transitions out of the parents this shard owns (`owns`). Shards
   * 0..count-1 of one search, each in its own thread, check every transition exactly once
   * between them. */
  readonly shard?: TransitionShard;
}

/** Shard `index` (0-based) of `count`. */
export interface TransitionShard {
  readonly index: number;
  readonly count: number;
  /** A level's size, in states (all the shards', not per shard), from which on a new state
   * belongs to the shard that found it (`XenConformance.owns`); by default SPLIT_LEVEL_STATES
   * times `count`. */
  readonly splitStates?: number;
}

/** Round robin by parent index (a shallow level's parents, and `refinement`'s without
 * conformance): does `shard` check the transitions out of the state stored at `parentIndex`?
 * Every shard runs the same breadth-first search, so indices mean the same state in each, and
 * neighbouring parents, alike in cost, go to different shards. */
export function ownsParent(shard: TransitionShard | undefined, parentIndex: number): boolean {
  return shard === undefined || parentIndex % shard.count === shard.index;
}

/** States per shard a level must hold before its new states stay with the shard that found them
 * (`XenConformance.owns`): enough parents at that level, dealt round robin, for the shards'
 * shares of the states below them to come out about even. */
const SPLIT_LEVEL_STATES = 1024;

export interface ConformanceStats {
  /** Transitions applied to the impl. */
  readonly checked: number;
  readonly mismatches: number;
  /** Most impl snapshots held at once (two BFS levels), and their estimated bytes: that many
   * times the mean of a sample of those kept (their typed arrays). */
  readonly peakSnapshots: number;
  readonly peakSnapshotBytes: number;
}

/** A saved subject state — a snapshot, or the ops (in the subject's own handle numbering)
 * that lead to it from the initial state — and the renaming from its handles to its canonical
 * state's. Why the renaming, not the model state it is? The explorer rebuilds each state it
 * expands from its key (a new object), so the state would only be kept to compute the renaming
 * later; computed now, one kind of saved state does for every subject (docs/explore.md). */
interface Saved {
  readonly snapshot: SubjectSnapshot | null;
  readonly path: readonly Op[];
  readonly toCanonical: Renaming | null;
  /** Set past the split (`owns`), and then always this shard's own index: only the shard that
   * checks the transitions out of a state keeps it. Undefined before the split: every shard
   * keeps it, and its index decides who checks (`ownsParent`). */
  readonly owner?: number;
}

/** A state of one BFS level, in a level map: its saved subject state, or the index of the shard
 * that keeps it when this one does not (see `owns`). */
type LevelEntry = Saved | number;

/** A checker violation as the explorer's transition failure. */
function failureOf(v: Violation): TransitionFailure {
  const detail =
    v.check === 'result-mismatch'
      ? 'model and impl returned different results'
      : v.check === 'state-mismatch'
        ? `abstract(impl) differs from the model: ${v.diff.join('; ')}`
        : v.message;
  return { name: violationName(v), statement: detail };
}

export class XenConformance {
  private readonly factory: SubjectFactory;
  private readonly comparison: StateComparison;
  /** The subject's state with its handles renamed by `toParent`: what is compared. */
  private readonly renamedImpl = { state: () => renameState(this.impl.state(), this.toParent) };
  private impl: Subject;
  private readonly initial: Saved;
  /**
   * The level being expanded and the one being discovered, by canonical state key. Why keyed
   * so, not by state index? The hook runs before the explorer deduplicates, so a child's index
   * is not known yet; the first snapshot taken for a key is the one of the transition the
   * explorer records as that state's parent link, so the impl states used are exactly those a
   * replay of the reported path goes through. Why two levels? BFS expands level d while it
   * discovers level d+1; older levels are dropped. A child the explorer has stored already
   * (TransitionContext.stored: a state of this level or an older one, or of the next found from
   * an earlier parent) is not entered again: only a new state and, for the children of one
   * parent, `next` tells whether it was met already.
   */
  private current = new StateKeyMap<LevelEntry>();
  private next = new StateKeyMap<LevelEntry>();
  /** How many entries of `current` and `next` are saved states (not another shard's). */
  private savedCurrent = 0;
  private savedNext = 0;
  /** Past the split: the states found from here on belong to the shard that found them (see
   * `owns`). */
  private pastSplit = false;
  /** The last parent looked up, its level entry, and whether this shard owns it. Keyed by the
   * object: the explorer expands each state from a new object (the model's fromKey), and a
   * parent's transitions come one after another. */
  private entryParent: XenState | undefined;
  private entry: LevelEntry | undefined;
  private ownsEntry = true;
  /** The last parent's renaming from its saved subject state's handles, and back. */
  private lastParent: XenState | undefined;
  private lastSaved: Saved | undefined;
  private toParent: Renaming | null = null;
  private fromParent: Renaming | null = null;
  /** The last parent's model state and the subject's state as compared there, once found
   * equal: each child is compared only where either side changed since (compareOutcomes). */
  private known: EqualPair | undefined;
  private depth = 0;
  private checked = 0;
  private mismatches = 0;
  private peakSnapshots = 0;
  /** The saved state whose reads `savedReads` are (readsOf). */
  private readsFor: Saved | undefined;
  private savedReads: Reads | undefined;
  /** Which saved state the impl currently holds, unmodified (undefined: none). */
  private loaded: Saved | undefined;
  private initialChecked = false;
  /** Snapshots kept, and the bytes of those sampled (sampleSnapshot). */
  private kept = 0;
  private samples = 0;
  private sampledBytes = 0;

  constructor(
    private readonly model: XenExploreModel,
    private readonly options: ConformanceOptions,
  ) {
    // Why refuse? The quotients key as equal states whose bytes the impl comparison tells apart:
    // the impl restored for a state could differ from the expanded state in those bytes.
    if (model.quotients) {
      throw new Error(
        'conformance: build the model with quotients: false (src/xenExplore/quotients.ts)',
      );
    }
    // The expanded state is its orbit's least member, a renaming of the state whose impl was
    // kept: the impl is not renamed (src/xenExplore/domainSymmetry.ts).
    if (model.domainSymmetry) {
      throw new Error(
        'conformance: build the model with domainSymmetry: false (src/xenExplore/domainSymmetry.ts)',
      );
    }
    this.factory = options.subject ?? IMPL_SUBJECT;
    this.comparison = comparedState(this.factory);
    this.impl = this.fresh();
    const s0 = model.initial().model;
    this.initial = {
      snapshot: this.impl.snapshot?.() ?? null,
      path: [],
      toCanonical: canonicalRenaming(s0),
    };
    this.startLevel(1); // the initial state's
  }

  /** A new instance; the explorer's paths all begin at the config's initial state, so an
   * instance that starts elsewhere (Subject.startState) cannot be explored. */
  private fresh(): Subject {
    const impl = this.factory.create(this.model.config);
    if (impl.start !== undefined) {
      impl.close?.();
      throw new SubjectError(
        `subject ${this.factory.name}: it starts from a state other than the config's initial one, which exploring cannot follow`,
      );
    }
    return impl;
  }

  /** The key of `s`'s orbit under handle renaming, as the explorer dedups by. */
  private canonicalKey(s: XenState): StateKey {
    return this.model.canonicalKey ? this.model.canonicalKey(s) : this.model.key(s);
  }

  /** Release the subject. */
  close(): void {
    this.impl.close?.();
  }

  /** Bring the subject to a saved state. */
  private load(saved: Saved): void {
    if (this.options.slow) {
      this.impl.close?.();
      this.impl = this.fresh();
    }
    if (saved.snapshot && this.impl.restore) {
      this.impl.restore(saved.snapshot);
      return;
    }
    this.impl.close?.();
    this.impl = this.fresh();
    for (const op of saved.path) this.impl.apply(op);
  }

  stats(): ConformanceStats {
    return {
      checked: this.checked,
      mismatches: this.mismatches,
      peakSnapshots: this.peakSnapshots,
      peakSnapshotBytes: this.peakSnapshots * this.snapshotBytes(),
    };
  }

  /** The explorer hook. */
  readonly check: NonNullable<ExploreOptions<XenState, Op>['onTransition']> = (
    parent,
    op,
    child,
    ctx,
  ) => {
    const owned = this.owns(parent, ctx);
    const entry = this.entry;
    if (entry === undefined) throw new Error('conformance: no level entry for a parent');
    if (!owned) return this.follow(parent, op, child, entry, ctx);
    // (a number is another shard's state: never one this shard owns)
    if (typeof entry === 'number') throw new Error('conformance: a parent owned but not kept');
    return this.checkTransition(parent, op, child, entry, ctx);
  };

  /**
   * Does this shard check the transitions out of `parent` (stored at `ctx.parentIndex`, at
   * `ctx.depth`)? Every transition is checked by one shard; a state found by a transition is
   * kept (its snapshot taken after the op) by every shard whose parents it may be among. Until
   * a level of `splitStates` states, every shard keeps every state and the parents are dealt round
   * robin (`ownsParent`): the others apply, unchecked, the transitions that find a new state
   * (`follow`). From then on a new state belongs to the shard that checked the transition that
   * found it, which has the subject in that state already: no other shard applies anything for
   * it, and a level's parents stay with the shard whose parents found them.
   */
  owns(parent: XenState, ctx: { readonly depth: number; readonly parentIndex: number }): boolean {
    if (parent === this.entryParent) return this.ownsEntry;
    const entry = this.levelEntry(parent, ctx.depth);
    const shard = this.options.shard;
    this.entryParent = parent;
    this.entry = entry;
    this.ownsEntry =
      shard === undefined ||
      (typeof entry === 'number'
        ? entry === shard.index
        : entry.owner === undefined
          ? ownsParent(shard, ctx.parentIndex)
          : entry.owner === shard.index);
    return this.ownsEntry;
  }

  /** A level of `size` states (the same count in every shard) is expanded next: from the
   * first of at least `splitStates` on, the search is past the split. */
  private startLevel(size: number): void {
    const shard = this.options.shard;
    if (shard === undefined) return;
    if (size >= (shard.splitStates ?? SPLIT_LEVEL_STATES * shard.count)) this.pastSplit = true;
  }

  /** `parent`'s entry in the level being expanded (at `depth`). */
  private levelEntry(parent: XenState, depth: number): LevelEntry {
    if (depth !== this.depth) {
      // A new level: what was discovered becomes what is expanded.
      const following = depth === this.depth + 1;
      this.current = following ? this.next : new StateKeyMap();
      this.savedCurrent = following ? this.savedNext : 0;
      this.next = new StateKeyMap();
      this.savedNext = 0;
      this.depth = depth;
      this.startLevel(this.current.size);
    }
    if (depth === 0) return this.initial;
    const entry = this.current.get(this.canonicalKey(parent));
    if (entry === undefined) {
      throw new Error('conformance: no impl snapshot for a state being expanded');
    }
    return entry;
  }

  private checkTransition(
    parent: XenState,
    op: Op,
    child: XenState,
    saved: Saved,
    ctx: TransitionContext<XenState>,
  ): TransitionFailure | null {
    if (!this.initialChecked) {
      this.initialChecked = true;
      this.load(this.initial);
      const internals = this.impl.internals;
      const v = internals ? checkInvariants(internals.view(), this.options.invariants) : null;
      if (v) return failureOf(v);
    }
    if (this.enter(parent, saved) && !this.options.slow) {
      if (this.loaded !== saved) this.load(saved);
      this.loaded = saved;
      this.known = this.knownPair(parent.model);
    }
    const { toParent, fromParent } = this;
    if (this.options.slow || this.loaded !== saved) this.load(saved);
    const before = this.readsOf(saved);
    const applied = renameOp(op, fromParent);
    const implResult = renameResult(this.impl.apply(applied), actingDomain(op), toParent);
    // A refused op that wrote nothing leaves the subject as the snapshot saved it: its state is
    // the parent's (as compared: `known`), every invariant held there, and nothing to restore.
    const unchanged =
      !this.options.slow && saved.snapshot !== null && this.impl.holds?.(saved.snapshot) === true;
    this.loaded = unchanged ? saved : undefined;
    // A replay (the explorer rebuilding a failure's path) was counted when the search checked
    // it, and keeps nothing: the search has ended.
    if (!ctx.replay) this.checked++;
    const failure = this.compare(parent, op, child, implResult, before, unchanged);
    if (failure) {
      if (!ctx.replay) this.mismatches++;
      return failure;
    }
    // Keep a new child's impl state for the next level, once per canonical state.
    if (child === parent || ctx.replay || ctx.stored(child)) return null;
    const key = this.canonicalKey(child);
    if (!this.next.has(key)) this.keep(key, saved, applied, child);
    return null;
  }

  /** What the subject's checks read (SubjectInternals.reads) in `saved`'s state, which the
   * subject holds now: read once for the transitions out of one saved state. Why may it be
   * kept? A restore brings back each part's version with its content (src/impl/version.ts);
   * and were it not so, a kept read could only make more parts look changed, never fewer. */
  private readsOf(saved: Saved): Reads | undefined {
    if (this.readsFor !== saved || this.options.slow) {
      this.readsFor = saved;
      this.savedReads = this.impl.internals?.reads();
    }
    return this.savedReads;
  }

  /** The impl holds some state w with canonical(w) = canonical(parent); `toParent` renames w's
   * handles into parent's. Why cached? A parent's transitions come one after another. True when
   * `parent` is a new one. */
  private enter(parent: XenState, saved: Saved): boolean {
    if (parent === this.lastParent && saved === this.lastSaved) return false;
    this.lastParent = parent;
    this.lastSaved = saved;
    this.toParent = compose(saved.toCanonical, invert(canonicalRenaming(parent.model)));
    this.fromParent = invert(this.toParent);
    return true;
  }

  /** A transition out of a parent (level entry `entry`, stored at `ctx.parentIndex`) another
   * shard checks: unchecked. When it finds a state new to this level, the state is noted as the
   * owner's, or, while every shard keeps every state (`owns`), the transition is applied to the
   * subject to keep that state's snapshot, exactly as the owner of its parent keeps it (the same
   * breadth-first order, so the same transition). */
  private follow(
    parent: XenState,
    op: Op,
    child: XenState,
    entry: LevelEntry,
    ctx: TransitionContext<XenState>,
  ): null {
    if (child === parent || ctx.stored(child)) return null;
    const key = this.canonicalKey(child);
    if (this.next.has(key)) return null;
    if (typeof entry === 'number') {
      this.next.set(key, entry);
      return null;
    }
    if (this.pastSplit) {
      // a parent from before the split (no owner): its owner by index
      this.next.set(key, entry.owner ?? ctx.parentIndex % (this.options.shard?.count ?? 1));
      return null;
    }
    const saved = entry;
    this.enter(parent, saved);
    if (this.loaded !== saved) this.load(saved);
    const applied = renameOp(op, this.fromParent);
    this.impl.apply(applied);
    this.loaded = undefined;
    this.keep(key, saved, applied, child);
    return null;
  }

  /** Keep the subject's current state, reached by `applied` from `saved`, as `child`'s. */
  private keep(key: StateKey, saved: Saved, applied: Op, child: XenState): void {
    const toParent = this.toParent;
    const snapshot = this.impl.snapshot?.() ?? null;
    this.sampleSnapshot(snapshot);
    const path = snapshot ? [] : [...saved.path, applied];
    const owner = this.pastSplit ? this.options.shard?.index : undefined;
    const s: Saved = {
      snapshot,
      path,
      toCanonical: compose(toParent, canonicalRenaming(child.model)),
      ...(owner === undefined ? {} : { owner }),
    };
    this.next.set(key, s);
    this.savedNext++;
    this.loaded = s;
    this.peakSnapshots = Math.max(this.peakSnapshots, this.savedCurrent + this.savedNext);
  }

  /** The subject's state as compared with `model`, the parent's, where the subject holds the
   * parent's saved state: the pair, when they are equal (checked here, in full, once per parent:
   * every child's comparison then trusts what neither side changed), else undefined. */
  private knownPair(model: ModelState): EqualPair | undefined {
    const implState = this.comparedImpl(model);
    return statesEqual(model, implState) ? { a: model, b: implState } : undefined;
  }

  /** The subject's state as compared with `model` (comparedState), its handles renamed by
   * `toParent`. */
  private comparedImpl(model: ModelState): ModelState {
    return this.comparison(model, this.renamedImpl);
  }

  private compare(
    parent: XenState,
    op: Op,
    child: XenState,
    implResult: OpResult,
    before: Reads | undefined,
    unchanged: boolean,
  ): TransitionFailure | null {
    const known = this.known;
    const observed = {
      before: parent.model,
      op,
      modelResult: this.model.lastResult(parent, op),
      modelState: child.model,
      implResult,
      implState: unchanged && known ? known.b : this.comparedImpl(child.model),
    };
    // The same stages as the random engine's Checker. Model-side invariants are the explorer's
    // own (checked on every state); the parent's impl state passed every impl invariant, so
    // only those whose parts changed are re-run.
    const internals = this.impl.internals;
    const changed = unchanged
      ? ChangedReads.NONE
      : internals
        ? ChangedReads.between(before, internals.reads())
        : undefined;
    // (no part changed: no invariant to re-run, and no view to make)
    const violation =
      compareOutcomes(observed, known) ??
      (internals && changed?.none !== true
        ? checkInvariants(internals.view(), this.options.invariants, changed)
        : null) ??
      checkStepProperties(observed, this.options.properties);
    return violation ? failureOf(violation) : null;
  }

  /** Sample one kept snapshot in SAMPLE_EVERY: the mean of its typed arrays' bytes (the
   * immutable maps are shared between snapshots, and not counted). */
  private sampleSnapshot(snapshot: SubjectSnapshot | null): void {
    if (snapshot === null || this.kept++ % SAMPLE_EVERY !== 0) return;
    const seen = new Set<ArrayBufferLike>();
    let bytes = 0;
    const visit = (v: unknown, depth: number): void => {
      if (depth > 8 || v === null || typeof v !== 'object') return;
      const buffer = ArrayBuffer.isView(v) ? v.buffer : v instanceof ArrayBuffer ? v : undefined;
      if (buffer !== undefined) {
        if (!seen.has(buffer)) bytes += ArrayBuffer.isView(v) ? v.byteLength : buffer.byteLength;
        seen.add(buffer);
        return;
      }
      for (const x of Object.values(v)) visit(x, depth + 1);
    };
    visit(snapshot, 0);
    this.sampledBytes += bytes;
    this.samples++;
  }

  /** The sampled snapshots' mean size in bytes (0 before any). */
  private snapshotBytes(): number {
    return this.samples === 0 ? 0 : this.sampledBytes / this.samples;
  }
}

/** Why sample? Walking a snapshot costs microseconds; a search keeps hundreds of thousands. */
const SAMPLE_EVERY = 256;
