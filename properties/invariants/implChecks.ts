// The same state invariants as modelChecks.ts, checked on the impl's own structures: packed
// GNTPIN_* words, maptrack entries and their linked free list, the frame table's owners and
// reference counts, the shared entry bytes. Nothing here goes through abstract(impl).

import type { CheckMessage } from '../../src/harness/invariant.ts';
import { unpermittedLabel, unpermittedMapping } from './flows.ts';
import { grantKey } from './modelChecks.ts';
import type { ImplView, PinLedger } from '../../src/harness/implView.ts';
import { pinOfMapFlags } from '../../src/harness/implView.ts';
import type { XenDomain } from '../../src/impl/index.ts';
import { ByMaptrackContent, NO_OWNER, PAGE_BASE_REFS } from '../../src/impl/index.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_COUNTER_LIMIT,
  GNTPIN_devr_shift,
  GNTPIN_devw_shift,
  GNTPIN_hstr_shift,
  GNTPIN_hstw_shift,
  GNTTAB_NR_RESERVED_ENTRIES,
  GTF_accept_transfer,
  GTF_reading,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_type_mask,
  GTF_writing,
  MAPTRACK_PER_PAGE,
} from '../../src/xen/abi.ts';

const PIN_SHIFTS: readonly (readonly [string, number])[] = [
  ['hstw', GNTPIN_hstw_shift],
  ['hstr', GNTPIN_hstr_shift],
  ['devw', GNTPIN_devw_shift],
  ['devr', GNTPIN_devr_shift],
];

function pinByte(pin: number, shift: number): number {
  return (pin >>> shift) & 0xff;
}

/** `mappers`: the distinct mapping domains, in domain order. */
type ExpectedPin = { pin: number; mappers: number[] };
const expectedPinCache = new WeakMap<ImplView, Map<number, ExpectedPin>>();

/** Packed pins expected from the live maptrack entries, by grantKey(granter, ref), with the
 * mappers; computed once per step for the invariants that share it. */
function expectedPins(view: ImplView): Map<number, ExpectedPin> {
  const cached = expectedPinCache.get(view);
  if (cached) return cached;
  const expected = new Map<number, ExpectedPin>();
  for (const mapper of view.domains) {
    const t = mapper.maptrack;
    for (const h of view.live(mapper.id)) {
      // a destroyed granter's pins went with its table (docs/semantics.md §17)
      if (view.system.xen.domains[t.domid(h)]?.destroyed === true) continue;
      const key = grantKey(t.domid(h), t.ref(h));
      let e = expected.get(key);
      if (!e) {
        e = { pin: 0, mappers: [] };
        expected.set(key, e);
      }
      e.pin += pinOfMapFlags(t.flags(h));
      if (e.mappers[e.mappers.length - 1] !== mapper.id) e.mappers.push(mapper.id);
    }
  }
  expectedPinCache.set(view, expected);
  return expected;
}

/** Each touched entry of domain `d`'s grant table (the refs a step wrote in its shared entries,
 * and with `pins` its active entries, and the refs that entered or left its raw-written set:
 * ImplView.touchedSince) re-tested by `holdsAt`, once `check` held there; or, when it must, the
 * full check `full`, which also gives the message. status-bits-mirror-pins and
 * transfer-flag-order share this: their verdict at a ref depends on that ref alone. */
function entryDeltaVerdict(
  view: ImplView,
  d: XenDomain,
  check: object,
  pins: boolean,
  holdsAt: (view: ImplView, d: XenDomain, i: number) => boolean,
  full: (view: ImplView, d: XenDomain) => CheckMessage,
): CheckMessage {
  const { shared, active } = d.grantTable;
  const logs = pins ? [shared.touched, active.touched] : [shared.touched];
  const sets = [view.rawWritten(d.id)];
  const touched = view.touchedSince(check, d.id, logs, undefined, sets);
  let held = touched !== undefined;
  if (touched !== undefined) {
    for (let i = 0; i < touched.length && held; i++) held = holdsAt(view, d, touched[i] ?? 0);
  }
  const message = held ? null : full(view, d);
  view.checked(check, d.id, logs, undefined, message === null, sets);
  return message;
}

export function pinRange(view: ImplView, d: XenDomain): CheckMessage {
  for (const ref of view.pinned(d.id)) {
    const pin = d.grantTable.active.pinOf(ref);
    for (const [name, shift] of PIN_SHIFTS) {
      if (pinByte(pin, shift) > GNTPIN_COUNTER_LIMIT) {
        return `d${d.id} ref ${ref}: ${name} byte ${pinByte(pin, shift)} in pin 0x${pin.toString(16)}`;
      }
    }
  }
  return null;
}

/** Does pin-accounting hold at (granter, ref) `key`: the pin equals what the live entries naming
 * it account for, and one at least is non-zero when there are any? */
function pinMatches(view: ImplView, ledger: PinLedger, key: number): boolean {
  const pin = view.domain(Math.floor(key / 2 ** 32))?.grantTable.active.pinOf(key % 2 ** 32) ?? 0;
  const sum = ledger.sums.get(key);
  return sum === undefined ? pin === 0 : pin === sum.pin && pin !== 0;
}

/** Does single-grantee hold at `key`: its live entries, if any, all of one mapper, the active
 * entry's grantee? */
function oneGrantee(view: ImplView, ledger: PinLedger, key: number): boolean {
  const sum = ledger.sums.get(key);
  if (sum === undefined) return true;
  if (sum.mappers !== 1) return false;
  const holder = view.domain(Math.floor(key / 2 ** 32))?.grantTable.active.domidOf(key % 2 ** 32);
  return holder !== undefined && (sum.byMapper[holder] ?? 0) > 0;
}

/** Run `holds` on the keys that changed since `check` last held (the ledger's dirty keys), or
 * on every key when it must (`all`); remember whether it held. */
function ledgerVerdict(
  view: ImplView,
  check: object,
  holds: (view: ImplView, ledger: PinLedger, key: number) => boolean,
  all: (view: ImplView, ledger: PinLedger) => boolean,
): boolean {
  const ledger = view.pinLedger();
  const dirty = ledger.dirty;
  let held: boolean;
  if (dirty !== undefined && ledger.heldAt.get(check) === ledger.generation - 1) {
    held = true;
    for (let i = 0; i < dirty.length && held; i++) held = holds(view, ledger, dirty[i] ?? 0);
  } else held = all(view, ledger);
  if (held) ledger.heldAt.set(check, ledger.generation);
  else ledger.heldAt.delete(check);
  return held;
}

function allPinsMatch(view: ImplView, ledger: PinLedger): boolean {
  for (const d of view.domains) {
    for (const ref of view.pinned(d.id))
      if (!pinMatches(view, ledger, grantKey(d.id, ref))) return false;
  }
  for (const key of ledger.sums.keys()) if (!pinMatches(view, ledger, key)) return false;
  return true;
}

function allOneGrantee(view: ImplView, ledger: PinLedger): boolean {
  for (const key of ledger.sums.keys()) if (!oneGrantee(view, ledger, key)) return false;
  return true;
}

/** The verdict from the pin ledger (ImplView.pinLedger: only the pairs a step touched, once the
 * check held), the message from the full count (pinAccountingProblem). */
export function pinAccounting(view: ImplView): CheckMessage {
  return ledgerVerdict(view, pinAccounting, pinMatches, allPinsMatch)
    ? null
    : pinAccountingProblem(view);
}

/** pin-accounting's full check, with its message: every pin against a count of every live
 * maptrack entry. */
export function pinAccountingProblem(view: ImplView): CheckMessage {
  const expected = expectedPins(view);
  let pinnedCount = 0;
  for (const d of view.domains) {
    for (const ref of view.pinned(d.id)) {
      pinnedCount++;
      const pin = d.grantTable.active.pinOf(ref);
      const want = expected.get(grantKey(d.id, ref))?.pin ?? 0;
      if (pin !== want) {
        return `d${d.id} ref ${ref}: pin 0x${pin.toString(16)} but live mappings make 0x${want.toString(16)}`;
      }
    }
  }
  if (expected.size !== pinnedCount) {
    for (const key of expected.keys()) {
      const granter = Math.floor(key / 2 ** 32);
      const ref = key % 2 ** 32;
      if ((view.domain(granter)?.grantTable.active.pinOf(ref) ?? 0) === 0) {
        return `live mappings of d${granter} ref ${ref} but no pin`;
      }
    }
  }
  return null;
}

/** The verdict from the pin ledger, as pinAccounting's; the message from singleGranteeProblem. */
export function singleGrantee(view: ImplView): CheckMessage {
  return ledgerVerdict(view, singleGrantee, oneGrantee, allOneGrantee)
    ? null
    : singleGranteeProblem(view);
}

/** single-grantee's full check, with its message. */
export function singleGranteeProblem(view: ImplView): CheckMessage {
  for (const [key, { mappers }] of expectedPins(view)) {
    const granter = Math.floor(key / 2 ** 32);
    const ref = key % 2 ** 32;
    if (mappers.length > 1) return `d${granter} ref ${ref} mapped by ${mappers.join(', ')}`;
    const [mapper] = mappers;
    const holder = view.domain(granter)?.grantTable.active.domidOf(ref);
    if (holder !== mapper)
      return `d${granter} ref ${ref}: act->domid ${holder} but mapped by d${mapper}`;
  }
  return null;
}

export function pinnedRefsValid(view: ImplView, d: XenDomain): CheckMessage {
  for (const ref of view.pinned(d.id)) {
    if (ref >= d.grantTable.nrGrantEntries) return `d${d.id} ref ${ref} pinned beyond the table`;
  }
  return null;
}

/** live-maptrack-entries: once it held on a mapper's table, only the handles the table's log
 * names since are tested again, while every table keeps its size (the token); a new maptrack
 * frame, a restore, a failure or a grown table: in full. The message is the full check's. */
export function liveMaptrackEntries(view: ImplView): CheckMessage {
  const token = tableSizes(view);
  let held = true;
  const domains = view.domains;
  for (let i = 0; i < domains.length && held; i++) {
    const t = domains[i]?.maptrack;
    if (t === undefined) continue;
    const logs = [t.touched];
    const touched = view.touchedSince(liveMaptrackEntries, i, logs, token);
    if (touched === undefined) held = liveEntriesProblemOf(view, i) === null;
    else {
      for (let j = 0; j < touched.length && held; j++) {
        const h = touched[j] ?? 0;
        if (h < t.limit && t.flags(h) !== 0 && liveEntryProblem(view, i, h) !== null) held = false;
      }
    }
    view.checked(liveMaptrackEntries, i, logs, token, held);
  }
  return held ? null : liveMaptrackEntriesProblem(view);
}

/** The grant tables' sizes as one number (they never shrink but by a restore, which resets the
 * maptrack logs only where the content moved); a fresh object when they do not fit in one. */
function tableSizes(view: ImplView): unknown {
  const domains = view.domains;
  if (domains.length > 4) return {};
  let token = domains.length;
  for (const d of domains) {
    const frames = d.grantTable.nrGrantFrames;
    if (frames >= 4096) return {};
    token = token * 4096 + frames;
  }
  return token;
}

/** live-maptrack-entries' full check, with its message. */
export function liveMaptrackEntriesProblem(view: ImplView): CheckMessage {
  for (const d of view.domains) {
    const message = liveEntriesProblemOf(view, d.id);
    if (message !== null) return message;
  }
  return null;
}

function liveEntriesProblemOf(view: ImplView, id: number): CheckMessage {
  for (const h of view.live(id)) {
    const message = liveEntryProblem(view, id, h);
    if (message !== null) return message;
  }
  return null;
}

/** Mapper `id`'s live handle `h`: a kind of mapping, naming a ref of a known domain's table. */
function liveEntryProblem(view: ImplView, id: number, h: number): CheckMessage {
  const t = view.domain(id)?.maptrack;
  if (t === undefined) return null;
  if ((t.flags(h) & (GNTMAP_host_map | GNTMAP_device_map)) === 0) {
    return `d${id} handle ${h} in use without host_map or device_map`;
  }
  const granter = view.domain(t.domid(h));
  if (!granter) return `d${id} handle ${h} names unknown domain ${t.domid(h)}`;
  if (t.ref(h) >= granter.grantTable.nrGrantEntries) {
    return `d${id} handle ${h} names ref ${t.ref(h)} beyond d${granter.id}'s table`;
  }
  return null;
}

export function maptrackSize(view: ImplView, d: XenDomain): CheckMessage {
  const { limit, maxMaptrackFrames } = d.maptrack;
  if (limit % MAPTRACK_PER_PAGE !== 0)
    return `d${d.id} maptrack_limit ${limit} not a multiple of 256`;
  if (limit > MAPTRACK_PER_PAGE * maxMaptrackFrames)
    return `d${d.id} maptrack_limit ${limit} above max`;
  return null;
}

/** free-list-integrity on domain `d`: once it held there, the lists are walked again only
 * where the maptrack's log names a handle written since (FreeListOrder.holdsAfter: a run of
 * handles not written is counted at once); a failure, many handles written, or a shape it
 * cannot tell: the same verdict in one pass over every list (FreeListOrder.walk, which records
 * the lists for the next step); a reset log: that pass once per table content. The message,
 * when it fails, is the full walk's (freeListProblem). */
export function freeListIntegrity(view: ImplView, d: XenDomain): CheckMessage {
  const t = d.maptrack;
  const logs = [t.touched];
  const touched = view.touchedSince(freeListIntegrity, d.id, logs, t);
  const order = view.freeListOrder(d.id);
  const live = view.live(d.id).length;
  let held: boolean;
  if (touched !== undefined) {
    held = order.holdsAfter(t, touched, live) || order.walk(t, live, true);
  } else {
    // A log started over (a table that grew, a restore): the verdict of a walk, which records
    // nothing then (FreeListOrder.walk), is the content's: walked once per content.
    order.forget();
    held = freeListVerdicts.derived(t, () => order.walk(t, live, false));
  }
  view.checked(freeListIntegrity, d.id, logs, t, held);
  return held ? null : freeListProblem(view, d);
}

/** free-list-integrity's verdicts on whole tables, by content. */
const freeListVerdicts = new ByMaptrackContent<boolean>();

/** freeListIntegrity's full check, with its message: each list walked (ImplView.freeList). */
export function freeListProblem(view: ImplView, d: XenDomain): CheckMessage {
  // Every vCPU's list; a free entry is on its own vCPU's list (put_maptrack_handle returns a
  // handle to the list its entry's vcpu names).
  let free = 0;
  for (let v = 0; v < d.maptrack.vcpus; v++) {
    const walk = view.freeList(d.id, v);
    const which = d.maptrack.vcpus > 1 ? ` v${v}` : '';
    if (walk.problem) return `d${d.id}${which}: ${walk.problem}`;
    for (const h of walk.handles) {
      if (d.maptrack.flags(h) !== 0) return `d${d.id} handle ${h} on the free list but in use`;
      if (d.maptrack.vcpu(h) !== v) {
        return `d${d.id} handle ${h} on v${v}'s free list but its entry names v${d.maptrack.vcpu(h)}`;
      }
    }
    free += walk.handles.length;
  }
  if (free + view.live(d.id).length !== d.maptrack.limit) {
    return `d${d.id}: ${free} free + ${view.live(d.id).length} live handles != limit ${d.maptrack.limit}`;
  }
  return null;
}

export function maptrackCapacity(view: ImplView, d: XenDomain): CheckMessage {
  const cap = MAPTRACK_PER_PAGE * d.maptrack.maxMaptrackFrames - 1;
  if (view.live(d.id).length > cap)
    return `d${d.id} has ${view.live(d.id).length} live mappings, cap ${cap}`;
  return null;
}

/** status-bits-mirror-pins on domain `d`: once it held there, only the refs whose entry or
 * pin a step wrote since, or which entered or left the raw-written set, are tested again (a
 * reset log or a failure: in full). The message is the full check's. */
export function statusBitsMirrorPins(view: ImplView, d: XenDomain): CheckMessage {
  return entryDeltaVerdict(
    view,
    d,
    statusBitsMirrorPins,
    true,
    statusBitsHoldAt,
    statusBitsMirrorPinsProblem,
  );
}

/** Does the mirror hold at `ref` (an entry the full check reads: pinned, or showing a status
 * bit; any other holds)? */
function statusBitsHoldAt(view: ImplView, d: XenDomain, ref: number): boolean {
  const words = d.grantTable.shared.words;
  const pins = d.grantTable.active.pin;
  const read =
    (ref < pins.length && pins[ref] !== 0) ||
    (ref < words.length >>> 1 && ((words[2 * ref] ?? 0) & (GTF_reading | GTF_writing)) !== 0);
  return !read || statusBitsProblem(view, d, ref) === null;
}

/** status-bits-mirror-pins' full check of domain `d`, with its message. */
export function statusBitsMirrorPinsProblem(view: ImplView, d: XenDomain): CheckMessage {
  // The pinned refs, then the unpinned ones showing a status bit: every ref where either side
  // of the mirror is non-zero.
  for (const ref of view.pinned(d.id)) {
    const problem = statusBitsProblem(view, d, ref);
    if (problem !== null) return problem;
  }
  const words = d.grantTable.shared.words;
  for (const ref of view.flagged(d.id)) {
    if (((words[2 * ref] ?? 0) & (GTF_reading | GTF_writing)) === 0) continue; // no status bit
    if (d.grantTable.active.pinOf(ref) !== 0) continue; // seen above
    const problem = statusBitsProblem(view, d, ref);
    if (problem !== null) return problem;
  }
  return null;
}

function statusBitsProblem(view: ImplView, d: XenDomain, ref: number): CheckMessage {
  if (view.rawWritten(d.id).has(ref)) return null;
  const { active, shared } = d.grantTable;
  const flags = (shared.words[2 * ref] ?? 0) & 0xffff;
  if ((flags & GTF_type_mask) === GTF_accept_transfer) return null;
  const pin = active.pinOf(ref);
  const writePins = pinByte(pin, GNTPIN_hstw_shift) + pinByte(pin, GNTPIN_devw_shift);
  if (((flags & GTF_reading) !== 0) !== (pin !== 0)) {
    return `d${d.id} ref ${ref}: flags 0x${flags.toString(16)} with pin 0x${pin.toString(16)} (GTF_reading)`;
  }
  if (((flags & GTF_writing) !== 0) !== writePins > 0) {
    return `d${d.id} ref ${ref}: flags 0x${flags.toString(16)} with pin 0x${pin.toString(16)} (GTF_writing)`;
  }
  return null;
}

export function ownership(view: ImplView): CheckMessage {
  const frames = view.system.xen.frames;
  const seen = new Map<number, number>();
  for (const d of view.domains) {
    for (const [gfn, mfn] of d.p2m) {
      const other = seen.get(mfn);
      if (other !== undefined) return `mfn ${mfn} in the p2m of d${other} and d${d.id}`;
      seen.set(mfn, d.id);
      if (frames.ownerOf(mfn) !== d.id)
        return `d${d.id} gfn ${gfn} -> mfn ${mfn} owned by ${frames.ownerOf(mfn)}`;
    }
  }
  return null;
}

export function mappedPagesStay(view: ImplView): CheckMessage {
  const frames = view.system.xen.frames;
  for (const d of view.domains) {
    const t = d.maptrack;
    for (const h of view.live(d.id)) {
      if (!(t.flags(h) & GNTMAP_device_map)) continue;
      const granter = t.domid(h);
      const mfn = view.domain(granter)?.grantTable.active.mfnOf(t.ref(h));
      if (mfn !== undefined && frames.ownerOf(mfn) !== granter) {
        return `d${d.id} handle ${h} device-maps mfn ${mfn}, no longer owned by d${granter}`;
      }
    }
  }
  return null;
}

/** Per frame (index mfn - firstMfn): the references and writable types the mappings make.
 * Why scratch arrays, not Maps? This runs after every step that changed a mapping, and two
 * Maps per run, and their iterators, were 4% of a conformance search's garbage. */
let refsFound = new Int32Array(0);
let typesFound = new Int32Array(0);

function bump(counts: Int32Array, i: number): void {
  counts[i] = (counts[i] ?? 0) + 1;
}

/** count_info = PGC_allocated + the owner's reference, plus one per device mapping and one per
 * grant PTE; the writable type count, one per writable device mapping and writable grant PTE. */
export function pageReferences(view: ImplView): CheckMessage {
  const { frames } = view.system.xen;
  const first = frames.firstMfn;
  if (refsFound.length < frames.nrFrames) {
    refsFound = new Int32Array(frames.nrFrames);
    typesFound = new Int32Array(frames.nrFrames);
  }
  const refs = refsFound.fill(0, 0, frames.nrFrames);
  const types = typesFound.fill(0, 0, frames.nrFrames);
  for (const d of view.domains) {
    for (const [page, pte] of d.pageTable) {
      if (!frames.valid(pte.mfn)) return `d${d.id} va page ${page} maps mfn ${pte.mfn}, no page`;
      bump(refs, pte.mfn - first);
      if (pte.writable) bump(types, pte.mfn - first);
    }
    const t = d.maptrack;
    for (const h of view.live(d.id)) {
      if (!(t.flags(h) & GNTMAP_device_map)) continue;
      const mfn = view.domain(t.domid(h))?.grantTable.active.mfnOf(t.ref(h));
      if (mfn === undefined) continue;
      if (!frames.valid(mfn)) return `d${d.id} handle ${h} device-maps mfn ${mfn}, no page`;
      bump(refs, mfn - first);
      if (!(t.flags(h) & GNTMAP_readonly)) bump(types, mfn - first);
    }
  }
  for (let i = 0; i < frames.nrFrames; i++) {
    const mfn = first + i;
    // a dying domain's pages lost their base references (domain_relinquish_resources)
    const owner = frames.ownerOf(mfn);
    const alive = owner !== NO_OWNER && view.system.xen.domains[owner]?.isDying === 0;
    const base = alive ? PAGE_BASE_REFS : 0;
    const want = base + (refs[i] ?? 0);
    if (frames.refs(mfn) !== want)
      return `mfn ${mfn}: count ${frames.refs(mfn)}, mappings make ${want}`;
    const wantTypes = types[i] ?? 0;
    if (frames.writableTypes(mfn) !== wantTypes) {
      return `mfn ${mfn}: writable type count ${frames.writableTypes(mfn)}, mappings make ${wantTypes}`;
    }
  }
  return null;
}

/** transfer-flag-order on domain `d`: once it held there, only the entries written since, or
 * which entered or left the raw-written set, are tested again (a reset log or a failure: in
 * full). The message is the full check's. */
export function transferFlagOrder(view: ImplView, d: XenDomain): CheckMessage {
  return entryDeltaVerdict(
    view,
    d,
    transferFlagOrder,
    false,
    transferHoldsAt,
    transferFlagOrderProblem,
  );
}

function transferHoldsAt(view: ImplView, d: XenDomain, ref: number): boolean {
  const words = d.grantTable.shared.words;
  return (
    2 * ref >= words.length || transferRefProblem(d, words, view.rawWritten(d.id), ref) === null
  );
}

/** transfer-flag-order's full check of domain `d`, with its message. */
export function transferFlagOrderProblem(view: ImplView, d: XenDomain): CheckMessage {
  const raw = view.rawWritten(d.id);
  const words = d.grantTable.shared.words;
  for (const ref of view.flagged(d.id)) {
    const message = transferRefProblem(d, words, raw, ref);
    if (message !== null) return message;
  }
  return null;
}

/** An accept-transfer entry the library did not write raw shows completed only once committed. */
function transferRefProblem(
  d: XenDomain,
  words: Uint32Array,
  raw: ReadonlySet<number>,
  ref: number,
): CheckMessage {
  const flags = (words[2 * ref] ?? 0) & 0xffff;
  if ((flags & GTF_transfer_completed) === 0) return null;
  if (raw.has(ref) || (flags & GTF_type_mask) !== GTF_accept_transfer) return null;
  if (!(flags & GTF_transfer_committed)) return `d${d.id} ref ${ref}: completed but not committed`;
  return null;
}

export function pageBudget(view: ImplView): CheckMessage {
  const { frames } = view.system.xen;
  const owned = new Map<number, number>();
  for (let i = 0; i < frames.nrFrames; i++) {
    const owner = frames.ownerOf(frames.firstMfn + i);
    if (owner !== NO_OWNER) owned.set(owner, (owned.get(owner) ?? 0) + 1);
  }
  for (const d of view.domains) {
    if (d.totPages > d.maxPages)
      return `d${d.id} tot_pages ${d.totPages} > max_pages ${d.maxPages}`;
    if (d.totPages !== (owned.get(d.id) ?? 0)) {
      return `d${d.id} tot_pages ${d.totPages} but owns ${owned.get(d.id) ?? 0} pages`;
    }
  }
  return null;
}

export function grantFrames(view: ImplView, d: XenDomain): CheckMessage {
  const { nrGrantFrames, maxGrantFrames } = d.grantTable;
  if (nrGrantFrames < 1 || nrGrantFrames > maxGrantFrames) {
    return `d${d.id} nr_grant_frames ${nrGrantFrames} outside 1..${maxGrantFrames}`;
  }
  return null;
}

export function reservedRefsUntouched(view: ImplView, d: XenDomain): CheckMessage {
  const words = d.grantTable.shared.words;
  for (let ref = 0; ref < GNTTAB_NR_RESERVED_ENTRIES; ref++) {
    const used = (words[2 * ref] ?? 0) !== 0 || (words[2 * ref + 1] ?? 0) !== 0;
    if (used && !view.rawWritten(d.id).has(ref))
      return `d${d.id} reserved ref ${ref} written by the guest library`;
  }
  return null;
}

/** Grant PTEs only in the window's slots (an L1 frame of the domain's own, slot < hostVaPages). */
export function hostSlotsInWindow(_view: ImplView, d: XenDomain): CheckMessage {
  for (const page of d.pageTable.keys()) {
    if (!Number.isInteger(page) || page < 0 || page >= d.hostVaPages) {
      return `d${d.id} va page ${page} outside its ${d.hostVaPages}-page window`;
    }
  }
  return null;
}

/** A page with no owner holds only zeros (its buffer, if any, is all zero). */
export function freedPagesScrubbed(view: ImplView): CheckMessage {
  const { frames } = view.system.xen;
  for (let mfn = frames.firstMfn; mfn < frames.firstMfn + frames.nrFrames; mfn++) {
    if (frames.ownerOf(mfn) !== NO_OWNER) continue;
    const bytes = frames.bytesOf(mfn);
    if (bytes !== undefined && bytes.some((b) => b !== 0)) {
      return `free mfn 0x${mfn.toString(16)} holds bytes`;
    }
  }
  return null;
}

/** Information flow, per frame: every store into a frame that crossed a domain boundary read
 * its origin frame, and wrote this one, through a permit of that frame; every grant PTE names
 * a frame its domain owns or holds a permit of (the frame table's ghost labels and permits). */
export function flowsPermitted(view: ImplView): CheckMessage {
  const { frames, domains } = view.system.xen;
  const permitsOf = (mfn: number) => frames.permitsOf(mfn);
  for (let mfn = frames.firstMfn; mfn < frames.firstMfn + frames.nrFrames; mfn++) {
    const labels = frames.labelsOf(mfn);
    if (labels.length === 0) continue;
    const owner = frames.ownerOf(mfn);
    if (owner === NO_OWNER) continue; // freed-pages-scrubbed's concern
    const bad = unpermittedLabel(mfn, owner, labels, permitsOf);
    if (bad !== null) return bad;
  }
  for (const d of domains) {
    for (const [page, pte] of d.pageTable) {
      const owner = frames.ownerOf(pte.mfn);
      const bad = unpermittedMapping(
        d.id,
        page,
        pte.mfn,
        owner === NO_OWNER ? undefined : owner,
        pte.writable,
        frames.permitsOf(pte.mfn),
      );
      if (bad !== null) return bad;
    }
  }
  return null;
}
