// The Xen-level reference model (src/model's pure step) as an ExplorableModel: states are
// ModelStates plus the guest's collected-transfer ghost, actions are Ops from the alphabet.

import type { GrantConfig } from '../config.ts';
import type { ExplorableModel, Invariant } from '../explore/model.ts';
import type { DomainChecks, StateInvariant } from '../harness/invariant.ts';
import { ChangedReads, partIndices } from '../harness/reads.ts';
import { describeState, initialState, step } from '../model/index.ts';
import type { ModelState } from '../model/state.ts';
import { StateKeyPacker } from '../model/packedKey.ts';
import type { Op, OpKind } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { formatOp } from '../ops/text.ts';
import { XenAlphabetEnumerator } from './alphabet.ts';
import type { XenBounds, XenExtras, XenPresetName } from './bounds.ts';
import {
  grantConfigFor,
  XEN_PRESETS,
  xenBoundsProblems,
  xenExtrasProblems,
  xenModelName,
} from './bounds.ts';
import {
  canonicalRenaming,
  maptrackOrbitKey,
  maptrackOrbitShortcut,
  renameState,
} from './handles.ts';
import type { XenState } from './state.ts';
import { FlowIds } from './flowIds.ts';
import type { DomainPermutation } from './domainSymmetry.ts';
import {
  DomainOrbitKeys,
  domainPermutations,
  renameCollected,
  renameFlow,
  renameModelState,
} from './domainSymmetry.ts';
import {
  entriesStaleKey,
  entriesStaleShortcut,
  maptrackQuotientKey,
  maptrackQuotientShortcut,
} from './quotients.ts';
import { collectedBit, isCollected, PendingNode, XenNode } from './state.ts';
import { RESULT_COMPLETED, RESULT_GRANTED, RESULT_SAME, StepMemo } from './stepMemo.ts';

export interface XenModelOptions extends XenExtras {
  /** State invariants checked on the model side (properties/invariants INVARIANTS). */
  readonly invariants?: readonly StateInvariant[];
  /** Only these op kinds (a subject's): the others are left out of the alphabet. */
  readonly opKinds?: readonly OpKind[];
  /** GNTMAP_contains_pte maps in the alphabet. Default: unless `opKinds` leaves out
   * unmap_and_replace (a subject without that op, like the real-Xen agent, has no PTE surface;
   * properties/suites.ts does the same). A fault's search cuts kinds for another reason, and
   * keeps them. */
  readonly pteMaps?: boolean;
  /** The step memo (./stepMemo.ts); on by default. Off: every transition runs the model's step
   * (the tests compare the two searches). */
  readonly stepMemo?: boolean;
  /** Under symmetry, also key stale entry bytes as zero and an unused maptrack frame as none
   * (./quotients.ts; docs/explore.md, "Parts no op reads back"). Off by default; the CLI turns
   * it on for a search without conformance. Never with conformance (XenConformance refuses such
   * a model), which compares those bytes with the impl's. */
  readonly quotients?: boolean;
  /** Under symmetry, also keep one state of each orbit under renaming domains 1..D-1 with their
   * frames (./domainSymmetry.ts; docs/explore.md, "Domain-id symmetry"), at three domains or
   * more where the configuration and op families allow it. Off by default; the CLI turns it on
   * for a search without conformance. Never with conformance (XenConformance refuses such a
   * model): the impl's state is not renamed. */
  readonly domainSymmetry?: boolean;
  /** Check a new state's invariants against its parent's (what the step changed) and keep each
   * domain's per-domain verdicts by its packed id; on by default. Off: every invariant whole, on
   * every new state (the tests compare the two). */
  readonly incrementalInvariants?: boolean;
  /** Number a changed part by a structural shortcut to its id when one numbered before is the
   * same (src/model/packedKey.ts `PartShortcut`); on by default. Off: by its key text always.
   * 'check': both, throwing when they differ (the tests run searches so). */
  readonly keyShortcuts?: boolean | 'check';
}

export interface XenExploreModel extends ExplorableModel<XenState, Op> {
  readonly bounds: XenBounds;
  /** Keys under symmetry leave out stale entry bytes and an unused maptrack frame
   * (XenModelOptions.quotients). */
  readonly quotients: boolean;
  /** Keys under symmetry are of orbits under domain renamings too (XenModelOptions
   * .domainSymmetry, when the bounds have renamings). */
  readonly domainSymmetry: boolean;
  readonly config: GrantConfig;
  key(s: XenState): number;
  canonicalKey(s: XenState): number;
  fromKey(k: number, aux: number, canonical: boolean): XenState;
  fingerprint(k: number, canonical: boolean): bigint;
  /** The id of the state's flow ghost, which no key contains. */
  aux(s: XenState): number;
  /** Steps the step memo answered (./stepMemo.ts), so far. */
  memoHits(): number;
  /** The model's result of the last `step(s, a)` call, when `s` and `a` are the arguments. */
  lastResult(s: XenState, a: Op): OpResult;
}

/** The model of a preset's bounds, op families and kinds, as `grantcheck explore --preset NAME`
 * builds it for the built-in impl; `options` adds to it (invariants, quotients, ...). */
export function xenPresetModel(
  name: XenPresetName,
  options: Omit<XenModelOptions, keyof XenExtras | 'opKinds' | 'pteMaps'> = {},
): XenExploreModel {
  const p = XEN_PRESETS[name];
  return xenModel(p.bounds, {
    ...options,
    ...p.extras,
    opKinds: p.kinds,
    pteMaps: p.pteMaps ?? true,
  });
}

/** The op kinds the alphabet of these bounds and op families issues, uncut (a `--kinds` cut
 * can only keep some of them). */
export function alphabetKinds(bounds: XenBounds, extras: XenExtras = {}): ReadonlySet<OpKind> {
  const config = grantConfigFor(bounds, extras);
  return new XenAlphabetEnumerator(bounds, config, extras.extensions).kindsIssued();
}

/** Throws RangeError for bounds that xenBoundsProblems rejects. */
export function xenModel(bounds: XenBounds, options: XenModelOptions = {}): XenExploreModel {
  const problems = [...xenBoundsProblems(bounds), ...xenExtrasProblems(bounds, options)];
  if (problems.length > 0) throw new RangeError(`xen model: ${problems.join('; ')}`);
  const config = grantConfigFor(bounds, options);
  const kinds = options.opKinds ? new Set<OpKind>(options.opKinds) : undefined;
  const noPte = !(options.pteMaps ?? (kinds === undefined || kinds.has('unmap_and_replace')));
  const alphabet = new XenAlphabetEnumerator(bounds, config, options.extensions, { kinds, noPte });
  const protocol = bounds.alphabet === 'protocol';
  const s0: XenState = new XenNode(initialState(config), 0);
  // Exact numeric keys (src/model/packedKey.ts): one packer for states as they are, one that
  // keys maptracks up to handle renaming for the quotient. The collected-transfer ghost rides
  // along as the packer's extra number (always 0 under the full alphabet).
  const cuts = options.keyShortcuts ?? true;
  const shortcutOptions = { textOnly: cuts === false, checkShortcuts: cuts === 'check' };
  const exact = new StateKeyPacker(config.domains, shortcutOptions);
  const quotients = options.quotients ?? false;
  const orbits = new StateKeyPacker(
    config.domains,
    quotients
      ? {
          ...shortcutOptions,
          maptrackKey: maptrackQuotientKey,
          maptrackShortcut: maptrackQuotientShortcut,
          entriesKey: entriesStaleKey,
          entriesShortcut: entriesStaleShortcut,
        }
      : {
          ...shortcutOptions,
          maptrackKey: maptrackOrbitKey,
          maptrackShortcut: maptrackOrbitShortcut,
        },
  );
  const renamings =
    options.domainSymmetry === true ? domainPermutations(config, options.extensions) : [];
  const domainOrbits =
    renamings.length > 0 ? new DomainOrbitKeys(orbits, renamings, bounds) : undefined;
  const scratch = new Array<number>(exact.vectorLength).fill(0);
  const flows = new FlowIds();
  /** What this model keeps on XenNodes belongs to this object (XenNode's owner). */
  const owner = {};
  let lastParent: XenState | undefined;
  /** A parent's id vector, kept on it: all its children's keys start from it. */
  const parentIds = (packer: StateKeyPacker, orbit: boolean, p: XenState): number[] => {
    let ids = XenNode.ids(p, owner, orbit);
    if (ids === undefined) {
      ids = packer.ids(p.model, p.collected);
      XenNode.keep(p, owner, orbit, StateKeyPacker.key(ids), ids);
    }
    return ids;
  };
  /** The key of `s`: kept on it, or made against the last step's parent's ids into a scratch
   * vector. Why not keep every child's vector? Most children are states seen before, and the
   * search expands states decoded from their keys (fromKey), which come with their vectors. */
  const keyOf = (packer: StateKeyPacker, orbit: boolean, s: XenState): number => {
    const kept = XenNode.key(s, owner, orbit);
    if (kept >= 0) return kept;
    const p = lastParent;
    const k =
      p && p !== s
        ? StateKeyPacker.key(
            packer.ids(
              s.model,
              s.collected,
              { model: p.model, ids: parentIds(packer, orbit, p) },
              scratch,
            ),
          )
        : StateKeyPacker.key(parentIds(packer, orbit, s));
    XenNode.keep(s, owner, orbit, k);
    return k;
  };
  let lastOp: Op | undefined;
  let lastResult: OpResult | undefined;
  /** The memo's last child whose state is made on demand (PendingNode), when it is the last
   * step's: `lastParent`'s by the op the memo answered. */
  let lastPending: PendingNode | undefined;
  let lastPendingOp: Op | undefined;

  /** The RESULT_* bits of `res` (./stepMemo.ts) that decide the collected-transfer ghost. */
  const resultFlags = (a: Op, res: OpResult): number =>
    res.kind === 'end_transfer' && res.outcome === 'completed' && a.kind === 'end_transfer'
      ? RESULT_COMPLETED
      : (res.kind === 'grant_access' || res.kind === 'grant_transfer') && res.outcome === 'ok'
        ? RESULT_GRANTED
        : 0;

  /** The collected-transfer ghost after `a` in `s` returned a result with RESULT_* `flags`
   * (protocol alphabet only). */
  const collectedAfter = (s: XenState, a: Op, flags: number): number => {
    let collected = s.collected;
    if (protocol) {
      if ((flags & RESULT_COMPLETED) !== 0 && a.kind === 'end_transfer') {
        if (!isCollected(bounds, s, a.dom, a.ref)) collected += collectedBit(bounds, a.dom, a.ref);
      } else if (
        (flags & RESULT_GRANTED) !== 0 &&
        (a.kind === 'grant_access' || a.kind === 'grant_transfer') &&
        isCollected(bounds, s, a.dom, a.ref)
      ) {
        collected -= collectedBit(bounds, a.dom, a.ref);
      }
    }
    return collected;
  };

  /** The model's own step. */
  const fullStep = (s: XenState, a: Op): XenState => {
    const r = step(s.model, a);
    lastParent = s;
    lastOp = a;
    lastResult = r.result;
    lastPendingOp = undefined;
    const collected = collectedAfter(s, a, resultFlags(a, r.result));
    if (r.state === s.model && collected === s.collected) return s;
    const t = new XenNode(r.state, collected);
    XenNode.setParent(t, owner, s);
    return t;
  };

  // The step memo, one per packer (its ids are that packer's numbering). Why not with one
  // domain? Its id is then the whole state but for the globals: nothing repeats.
  const memoOn = (options.stepMemo ?? true) && config.domains > 1;
  const memos = memoOn
    ? [
        new StepMemo(alphabet.staticOps(), config.domains),
        new StepMemo(alphabet.staticOps(), config.domains),
      ]
    : [];
  /** The state the memo last vetted: no domain of it is dead (`memoLive`). */
  let memoParent: XenState | undefined;
  let memoLive = false;
  let memoHits = 0;

  /** A step through the memo, or undefined when the memo does not cover it. */
  const memoStep = (s: XenState, a: Op): XenState | undefined => {
    const via = XenNode.decodedBy(s, owner);
    if (via < 0) return undefined;
    const memo = memos[via];
    if (!memo) return undefined;
    const code = memo.code(a);
    if (code < 0) return undefined;
    if (s !== memoParent) {
      memoParent = s;
      memoLive = s.model.domains.every((d) => d.death === undefined);
      for (const m of memos) m.parent();
    }
    if (!memoLive) return undefined;
    const orbit = via === 1;
    const ids = XenNode.ids(s, owner, orbit);
    if (!ids) return undefined;
    const i = StepMemo.domain(code);
    const j = StepMemo.other(code);
    if (j >= 0) return pairStep(s, a, memo, code, orbit, ids, i, j);
    const domainId = StateKeyPacker.domainId(ids, i);
    const ownersId = StateKeyPacker.ownersId(ids);
    const entry = memo.entry(code, domainId, ownersId);
    if (entry < 0) {
      if (memo.refused(code, domainId)) return undefined;
      // Not known yet: the model's step, recorded if it kept to its footprint.
      return stepToRecord(
        s,
        a,
        orbit,
        ids,
        i,
        -1,
        (childIds, flags) =>
          memo.set(code, domainId, ownersId, StateKeyPacker.domainId(childIds, i), flags),
        () => memo.refuse(code, domainId),
      );
    }
    memoHits++;
    return answered(s, a, memo.flags(i, entry), orbit, ids, i, memo.childId(i, entry), -1, 0);
  };

  /** Did the step from `before` to `after` keep to the footprint of domains `i` and `j` (-1:
   * none)? The flow ghost may change: it is in no key (the footprint's doc says why). */
  const keptTo = (before: ModelState, after: ModelState, i: number, j: number): boolean =>
    after.frameOwner === before.frameOwner &&
    after.contents === before.contents &&
    after.domains.every((d, k) => k === i || k === j || d === before.domains[k]);

  /** The model's step for an op the memo does not know yet in `s` (id vector `ids`; footprint
   * domains `i` and `j`, -1: none): `record` gets the successor's id vector (`ids` itself when
   * the step changed no keyed part) and its RESULT_* bits, or `refuse` is called when the step
   * broke the footprint. */
  const stepToRecord = (
    s: XenState,
    a: Op,
    orbit: boolean,
    ids: readonly number[],
    i: number,
    j: number,
    record: (childIds: readonly number[], flags: number) => void,
    refuse: () => void,
  ): XenState => {
    const t = fullStep(s, a);
    const before = s.model;
    const after = t.model;
    if (!keptTo(before, after, i, j)) {
      refuse();
      return t;
    }
    let childIds = ids;
    if (t !== s && after !== before) {
      const packer = orbit ? orbits : exact;
      childIds = packer.ids(after, t.collected, { model: before, ids }, scratch);
      XenNode.keep(t, owner, orbit, StateKeyPacker.key(childIds));
    }
    record(childIds, resultFlags(a, lastResult as OpResult) | (after === before ? RESULT_SAME : 0));
    return t;
  };

  /** The child the memo answered: `s` by `a`, whose result had RESULT_* `flags`, with domain
   * `i` numbered `childId` (and domain `j`, when >= 0, `otherId`). No step, no key text. */
  const answered = (
    s: XenState,
    a: Op,
    flags: number,
    orbit: boolean,
    ids: readonly number[],
    i: number,
    childId: number,
    j: number,
    otherId: number,
  ): XenState => {
    // No result: `lastResult` asks the model's step for it (conformance does; the search not).
    lastParent = s;
    lastOp = undefined;
    lastResult = undefined;
    const collected = collectedAfter(s, a, flags);
    const same = (flags & RESULT_SAME) !== 0;
    if (same && collected === s.collected) return s;
    const parentModel = s.model;
    const node = same
      ? new XenNode(parentModel, collected)
      : new PendingNode(() => step(parentModel, a).state, collected);
    lastPending = same ? undefined : (node as PendingNode);
    lastPendingOp = a;
    const packer = orbit ? orbits : exact;
    XenNode.keep(node, owner, orbit, packer.keyReplacing(ids, i, childId, collected, j, otherId));
    XenNode.setParent(node, owner, s);
    return node;
  };

  /** memoStep for a two-domain op (code `code`, domains `i` and `j`): its entries are keyed by
   * the views of both domains, the parts the op reads (./stepMemo.ts), and the frame owners'
   * id; a successor's domain ids are the parent's with the op's parts replaced by the entry's. */
  const pairStep = (
    s: XenState,
    a: Op,
    memo: StepMemo,
    code: number,
    orbit: boolean,
    ids: readonly number[],
    i: number,
    j: number,
  ): XenState | undefined => {
    const packer = orbit ? orbits : exact;
    const firstView = memo.parentView(packer, code, false, ids, i);
    const secondView = memo.parentView(packer, code, true, ids, j);
    const ownersId = StateKeyPacker.ownersId(ids);
    const entry = memo.pairEntry(code, firstView, secondView, ownersId);
    if (entry >= 0) {
      if (memo.pairRefused(entry)) return undefined;
      memoHits++;
      const flags = memo.pairFlags(entry);
      // A step that changed nothing: its successor's ids are the parent's.
      if ((flags & RESULT_SAME) !== 0) {
        const [first, second] = [StateKeyPacker.domainId(ids, i), StateKeyPacker.domainId(ids, j)];
        return answered(s, a, flags, orbit, ids, i, first, j, second);
      }
      const first = memo.withView(packer, code, false, ids, i, memo.pairFirstChild(entry));
      const second = memo.withView(packer, code, true, ids, j, memo.pairSecondChild(entry));
      return answered(s, a, flags, orbit, ids, i, first, j, second);
    }
    // Not known yet: the model's step, recorded (or refused, if it broke its footprint).
    const refuse = (): void => memo.setPair(code, firstView, secondView, ownersId, -1, -1, 0);
    return stepToRecord(
      s,
      a,
      orbit,
      ids,
      i,
      j,
      (childIds, flags) => {
        if (!memo.onlyViewChanged(packer, code, ids, childIds, i, j)) {
          refuse();
          return;
        }
        const firstChild = memo.viewOf(packer, code, false, childIds, i);
        const secondChild = memo.viewOf(packer, code, true, childIds, j);
        memo.setPair(code, firstView, secondView, ownersId, firstChild, secondChild, flags);
      },
      refuse,
    );
  };

  /**
   * Give `s`'s domains their objects in the packer that keyed it, where a two-domain memo entry
   * numbered a domain no state had shown yet (StateKeyPacker.domainIdWith): `decode` needs them.
   * The ids of `s`'s own model state must give the key the memo gave; a memo that gave another
   * would be a wrong one, and the search stops there.
   */
  const adopt = (s: XenState): void => {
    adoptIn(s, false);
    adoptIn(s, true);
  };
  /** `adopt` in one packer (`orbit`: the orbit keys'). */
  const adoptIn = (s: XenState, orbit: boolean): void => {
    const kept = XenNode.key(s, owner, orbit);
    if (kept < 0 || XenNode.ids(s, owner, orbit) !== undefined) return;
    const packer = orbit ? orbits : exact;
    if (packer.hasDomainObjects(kept)) return;
    const p = XenNode.parentOf(s, owner);
    const near = p && XenNode.ids(p, owner, orbit);
    const ids = packer.ids(
      s.model,
      s.collected,
      p && near ? { model: p.model, ids: near } : undefined,
    );
    if (StateKeyPacker.key(ids) !== kept) {
      throw new Error(`step memo: key ${kept} for a state whose key is ${StateKeyPacker.key(ids)}`);
    }
  };

  /** The orbit key of `s` under handle renaming and, with domain symmetry, the least over its
   * domain renamings (`domainOrbits.lastRenaming` says which gave it). */
  const orbitKey = (s: XenState): number => {
    const k = keyOf(orbits, true, s);
    if (domainOrbits === undefined) return k;
    // A domain the memo numbered without an object is renamed from the state's own.
    adoptIn(s, true);
    return domainOrbits.canonical(k);
  };

  /** The domain renaming that takes `s` to its orbit's least key (undefined: none). */
  const renamingOf = (s: XenState): DomainPermutation | undefined => {
    if (domainOrbits === undefined) return undefined;
    orbitKey(s);
    return domainOrbits.renamings[domainOrbits.lastRenaming];
  };
  /** `aux` numbers carry a renaming's index beside the flow ghost's id (1 + (D-1)! - 1 values). */
  const auxRenamings = renamings.length + 1;

  const xenStep = (s: XenState, a: Op): XenState => memoStep(s, a) ?? fullStep(s, a);

  // The invariants on new states. Why not each whole, every time? A new state's parent is a
  // stored state, which passed them all (the search stops at the first that fails), so only what
  // the step changed is re-checked, as the harness does after each op (src/harness/checker.ts
  // `recheck`): an invariant that reads no changed part holds, a per-domain one is checked on
  // the changed domains only. And a domain's per-domain verdicts are kept by its packed id: an id
  // names the domain's every keyed field (up to the key's quotient, under which every invariant
  // has one verdict: what symmetry and the quotients already rely on), and a few tens of
  // thousands of domains make up every state.
  const catalogue = options.invariants ?? [];
  const incremental = options.incrementalInvariants ?? true;
  const perDomainChecks = catalogue.flatMap((inv) => (inv.perDomain ? [inv.perDomain] : []));
  /** Per packer (0 exact, 1 orbit), per domain index, per domain id: 1 every per-domain check
   * holds, 2 one fails, 0 not known yet. */
  const domainVerdicts = [0, 1].map(() =>
    Array.from({ length: config.domains }, () => new Uint8Array(0)),
  );
  let changedNode: XenState | undefined;
  let changed = ChangedReads.ALL;
  /** What `s`'s step changed, when its parent is a stored state; else everything. */
  const changedOf = (s: XenState): ChangedReads => {
    if (s !== changedNode) {
      const p = XenNode.parentOf(s, owner);
      changed =
        p !== undefined && XenNode.decodedBy(p, owner) >= 0
          ? ChangedReads.betweenStates(p.model, s.model)
          : ChangedReads.ALL;
      changedNode = s;
    }
    return changed;
  };
  /** Does `checks` hold on domain `i` of `s`? */
  const domainHolds = (s: XenState, i: number, checks: DomainChecks): boolean => {
    const d = s.model.domains[i];
    if (d === undefined) return true;
    let via = 1;
    let k = XenNode.key(s, owner, true);
    if (k < 0) {
      via = 0;
      k = XenNode.key(s, owner, false);
    }
    if (k >= 0) {
      const id = (via === 1 ? orbits : exact).domainIdOfKey(k, i);
      const perIndex = domainVerdicts[via] as Uint8Array[];
      let table = perIndex[i] as Uint8Array;
      if (id >= table.length) {
        const grownTable = new Uint8Array(Math.max(id + 1, Math.ceil(table.length * 1.5), 1024));
        grownTable.set(table);
        table = grownTable;
        perIndex[i] = table;
      }
      let verdict = table[id] ?? 0;
      if (verdict === 0) {
        verdict = perDomainChecks.every((c) => c.onModel(d) === null) ? 1 : 2;
        table[id] = verdict;
      }
      if (verdict === 1) return true;
    }
    return checks.onModel(d) === null;
  };
  const invariants: Invariant<XenState>[] = catalogue.map((inv) => {
    const parts = partIndices(inv.reads);
    const checks = inv.perDomain;
    const all = (s: XenState): boolean => {
      if (!checks) return inv.onModel(s.model) === null;
      for (let i = 0; i < s.model.domains.length; i++) {
        if (!domainHolds(s, i, checks)) return false;
      }
      return true;
    };
    return {
      name: inv.name,
      statement: inv.statement,
      holds: incremental
        ? (s: XenState) => {
            const ch = changedOf(s);
            if (ch.all) return all(s);
            const mask = ch.domainsAt(parts);
            if (mask === 0) return true;
            if (!checks) return inv.onModel(s.model) === null;
            for (let i = 0; mask >>> i !== 0; i++) {
              if ((mask >>> i) & 1 && !domainHolds(s, i, checks)) return false;
            }
            return true;
          }
        : (s: XenState) => inv.onModel(s.model) === null,
    };
  });

  return {
    name: xenModelName(bounds, options),
    bounds,
    quotients,
    domainSymmetry: domainOrbits !== undefined,
    config,
    initial: () => s0,
    actions: (s) => alphabet.actions(s),
    step: xenStep,
    key: (s) => keyOf(exact, false, s),
    canonicalKey: orbitKey,
    fromKey: (k, aux, canonical) => {
      const packer = canonical ? orbits : exact;
      const { model, extra, ids } = packer.decode(k);
      // The ghost as found, renamed to the decoded member when the key is an orbit's (`aux`).
      const found = flows.flow(Math.floor(aux / auxRenamings));
      const renaming = canonical ? domainOrbits?.renamings[(aux % auxRenamings) - 1] : undefined;
      const flow = renaming ? renameFlow(found, renaming) : found;
      const { domains, frameOwner, contents } = model;
      const node = new XenNode(flow ? { domains, frameOwner, contents, flow } : model, extra);
      XenNode.keep(node, owner, canonical, k, ids, true);
      return node;
    },
    fingerprint: (k, canonical) =>
      canonical ? (domainOrbits?.fingerprint(k) ?? orbits.fingerprint(k)) : exact.fingerprint(k),
    // Called once for every state the search stores, before it is expanded: where the memo
    // numbered one of its domains (a two-domain entry's successor), the domain gets its object.
    // The id of the state's flow ghost as found and, under domain symmetry, which renaming takes
    // the state to its orbit's least member (0: none), which `fromKey` decodes from an orbit key
    // and gives the ghost renamed; from an exact key it decodes the state as found.
    aux: (s) => {
      adopt(s);
      const flowId = flows.id(s.model.flow);
      if (domainOrbits === undefined) return flowId;
      orbitKey(s);
      return flowId * auxRenamings + domainOrbits.lastRenaming + 1;
    },
    keyBytes: () =>
      exact.bytes +
      orbits.bytes +
      flows.bytes +
      memos.reduce((n, m) => n + m.bytes, 0) +
      domainVerdicts.flat().reduce((n, t) => n + t.byteLength, 0) +
      (domainOrbits?.bytes ?? 0),
    invariants,
    formatAction: formatOp,
    formatState: (s) =>
      describeState(s.model).join('\n') + (s.collected ? `\ncollected: ${s.collected}` : ''),
    symmetry: (s) => {
      const renaming = domainOrbits ? renamingOf(s) : undefined;
      const m = renaming ? renameModelState(s.model, renaming) : s.model;
      const collected = renaming ? renameCollected(s.collected, bounds, renaming) : s.collected;
      const r = canonicalRenaming(m);
      return r || renaming ? new XenNode(renameState(m, r), collected) : s;
    },
    memoHits: () => memoHits,
    lastResult: (s, a) => {
      if (s === lastParent && a === lastOp && lastResult) return lastResult;
      const r = step(s.model, a);
      // The memo's child of this very step, its state not made yet (conformance asks for the
      // result first, then the state): the step just taken made it.
      if (s === lastParent && a === lastPendingOp && lastPending?.pending === true) {
        lastPending.settle(r.state);
      }
      return r.result;
    },
  };
}
