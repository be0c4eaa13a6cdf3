// The explorer's step memo: for an op that reads and changes one domain alone (./footprint.ts),
// (op, that domain's packed id) -> (the op's result, the successor's id for that domain). A
// repeat skips the model's step and the successor's key: the key is the parent's with one domain
// id replaced (StateKeyPacker.keyReplacing). Refused ops, about half the transitions, become a
// table lookup. An op whose footprint is two domains (a map of another domain's grant) has its
// entries in a hash table: (op, both domains' ids, the frame owners' id) -> (both successor ids,
// the result bits); the successor's key has two domain ids replaced. Only with three domains or
// more: with two, a pair of domains is the whole state but for the globals, and no pair of ids
// repeats across the states expanded.
//
// Why is a domain's id enough? The memo is read and written only for states the packer decoded
// (fromKey), whose domains are the first objects numbered with their ids: equal ids, the very
// same DomainState; and only while no domain is dead (./footprint.ts says why).

import type { Op } from '../ops/op.ts';
import { opFootprint } from './footprint.ts';

/** An op's code: its slot among its domain's ops (bits 0-11), its slot + 1 among those that
 * also read the frame owners (bits 12-23; 0: it does not), its domain index (bits 24-29). A
 * two-domain op's code: its slot among those (bits 0-17), the second domain's index (bits
 * 18-23), the first's (bits 24-29) and PAIR (bit 30). */
const SLOT_MASK = 0xfff;
const OWNER_SHIFT = 12;
const DOMAIN_SHIFT = 24;
const DOMAIN_MASK = 0x3f;
const PAIR = 1 << 30;
const OTHER_SHIFT = 18;
const PAIR_SLOT_MASK = (1 << OTHER_SHIFT) - 1;
/** An entry's result bits: the step returned the very model state it was given. */
export const RESULT_SAME = 1;
/** ... the result was end_transfer's `completed` (the collected-transfer ghost's input). */
export const RESULT_COMPLETED = 2;
/** ... the result was a successful grant_access or grant_transfer (the same). */
export const RESULT_GRANTED = 4;
/** An entry's word: (the successor's domain id + 1) << RESULT_BITS | the result bits. */
const RESULT_BITS = 3;
/** Successor ids the word holds (a larger one is not memoised). */
const MAX_CHILD_ID = 2 ** (31 - RESULT_BITS) - 2;
/** An entry whose successor broke the declared footprint: always step (see `refuse`). */
const NEVER = -1;
/** A two-domain entry's words: code, first id, second id, owners' id, the first successor id,
 * then the word of the second successor id and the result bits (as above; NEVER). */
const PAIR_WORDS = 6;
/** Two-domain entries kept at most (24 bytes each, and 8 of index: 8 MiB; fewer early in a
 * search, PAIR_ENTRIES_PER_PARENT). A full table is emptied and fills again: a breadth-first search meets new domains level by level, and the
 * recent entries are the ones its next states repeat. Why 2^18? The basic preset at D3, first
 * 400 000 states: 2^20 entries answered 10.18 M steps, 2^19 10.14 M, 2^18 10.00 M, 2^16
 * 9.45 M. */
const MAX_PAIR_ENTRIES = 1 << 18;
/** Two-domain entries kept at most per parent the memo was asked about, and in any case (the
 * floor). Why a bound by parents? A small search repeats few pairs: at D3 to depth 3 (17 186
 * states) an unbounded table kept 24 138 entries, 51 B per stored state, about half the
 * search's bytes. With eight per parent it keeps 28 B/state there; the basic preset at D3,
 * first 400 000 states, then answers 9.93 M steps against 10.00 M unbounded. */
const PAIR_ENTRIES_PER_PARENT = 8;
const PAIR_ENTRIES_FLOOR = 1024;

export class StepMemo {
  private readonly codes = new Map<Op, number>();
  /** Per domain index: how many ops it has, and how many of them read the frame owners. */
  private readonly strides: number[];
  private readonly ownerStrides: number[];
  /** Per domain index, per domain id: its row + 1 in the columns below (0: none yet). Why
   * rows? Only the domains of expanded states get entries, a fraction of the domains numbered. */
  private rows: Int32Array[];
  private rowCount: number[];
  /** Per domain index, per domain id without a row: the parent (`parent` count) it was first
   * met in. Why? A domain met in one expanded state only would fill a row never read again: a
   * row is made the second time, in another parent. */
  private firstMet: Int32Array[];
  /** Parents the memo has been asked about (see `parent`). */
  private parents = 1;
  /**
   * Per domain index, per entry (row * stride + slot): the entry's word (0: not known yet;
   * NEVER). Why not the result itself? The search needs only these bits of it; a caller that
   * wants the result (conformance, through the model's `lastResult`) gets it from the model's
   * step.
   */
  private words: Int32Array[];
  /** Per domain index, per (row * ownerStride + owner slot): the frame owners' id an entry of
   * an op that reads them was made with (one entry per domain id: the last owners). */
  private owners: Int32Array[];
  /** Two-domain ops coded so far (their slots). */
  private pairOps = 0;
  /** The two-domain entries: an open-addressing index (linear probing, load at most 1/2) over
   * a column of PAIR_WORDS words each. */
  private pairSlots: Int32Array = new Int32Array(0);
  private pairWords: Int32Array = new Int32Array(0);
  private pairCount = 0;

  /** `maxPairEntries`: MAX_PAIR_ENTRIES but in tests. */
  constructor(
    ops: Iterable<Op>,
    domains: number,
    private readonly maxPairEntries = MAX_PAIR_ENTRIES,
  ) {
    this.strides = new Array<number>(domains).fill(0);
    this.ownerStrides = new Array<number>(domains).fill(0);
    for (const op of ops) {
      if (this.codes.has(op)) continue;
      const fp = opFootprint(op, domains);
      if (fp === undefined || domains > DOMAIN_MASK + 1) continue;
      const i = fp.domain;
      if (fp.other !== undefined) {
        // Why not with two domains? See the head of this file.
        if (domains < 3 || this.pairOps > PAIR_SLOT_MASK) continue;
        this.codes.set(op, PAIR | (i << DOMAIN_SHIFT) | (fp.other << OTHER_SHIFT) | this.pairOps++);
        continue;
      }
      const slot = this.strides[i] ?? 0;
      if (slot > SLOT_MASK) continue;
      this.strides[i] = slot + 1;
      let ownerSlot = 0;
      if (fp.owners) {
        ownerSlot = (this.ownerStrides[i] ?? 0) + 1;
        this.ownerStrides[i] = ownerSlot;
      }
      this.codes.set(op, (i << DOMAIN_SHIFT) | (ownerSlot << OWNER_SHIFT) | slot);
    }
    this.rows = this.strides.map(() => new Int32Array(0));
    this.rowCount = this.strides.map(() => 0);
    this.firstMet = this.strides.map(() => new Int32Array(0));
    this.words = this.strides.map(() => new Int32Array(0));
    this.owners = this.strides.map(() => new Int32Array(0));
  }

  /** The steps that follow are of another parent state. */
  parent(): void {
    this.parents++;
  }

  /** The op's code, or -1 when the memo does not cover it (an op no table holds, or one whose
   * footprint is more than two domains). */
  code(op: Op): number {
    return this.codes.get(op) ?? -1;
  }

  /** The (first) domain index of a code. */
  static domain(code: number): number {
    return (code >>> DOMAIN_SHIFT) & DOMAIN_MASK;
  }

  /** The second domain index of a two-domain op's code, or -1 for a one-domain op's. */
  static other(code: number): number {
    return (code & PAIR) === 0 ? -1 : (code >>> OTHER_SHIFT) & DOMAIN_MASK;
  }

  /** The entry of `code` for the domain numbered `domainId` and the frame owners numbered
   * `ownersId`, or -1 when not known (or never). */
  entry(code: number, domainId: number, ownersId: number): number {
    const i = (code >>> DOMAIN_SHIFT) & DOMAIN_MASK;
    const row = (this.rows[i]?.[domainId] ?? 0) - 1;
    if (row < 0) return -1;
    const at = row * (this.strides[i] ?? 0) + (code & SLOT_MASK);
    if ((this.words[i]?.[at] ?? 0) <= 0) return -1;
    const ownerSlot = (code >>> OWNER_SHIFT) & SLOT_MASK;
    if (ownerSlot === 0) return at;
    const o = row * (this.ownerStrides[i] ?? 0) + ownerSlot - 1;
    return this.owners[i]?.[o] === ownersId ? at : -1;
  }

  /** Is the entry of `code` for `domainId` refused (always step)? */
  refused(code: number, domainId: number): boolean {
    const i = (code >>> DOMAIN_SHIFT) & DOMAIN_MASK;
    const row = (this.rows[i]?.[domainId] ?? 0) - 1;
    return row >= 0 && this.words[i]?.[row * (this.strides[i] ?? 0) + (code & SLOT_MASK)] === NEVER;
  }

  /** The successor's domain id of an entry of domain index `i`. */
  childId(i: number, entry: number): number {
    return ((this.words[i]?.[entry] ?? 0) >>> RESULT_BITS) - 1;
  }

  /** What the entry's result says (RESULT_* bits). */
  flags(i: number, entry: number): number {
    return (this.words[i]?.[entry] ?? 0) & ((1 << RESULT_BITS) - 1);
  }

  /** Record what the model's step did. An op that reads the frame owners keeps one entry per
   * domain id: the last owners it was made with. */
  set(code: number, domainId: number, ownersId: number, childId: number, flags: number): void {
    if (childId > MAX_CHILD_ID) return;
    const i = (code >>> DOMAIN_SHIFT) & DOMAIN_MASK;
    const row = this.row(i, domainId);
    if (row < 0) return;
    (this.words[i] as Int32Array)[row * (this.strides[i] ?? 0) + (code & SLOT_MASK)] =
      ((childId + 1) << RESULT_BITS) | flags;
    const ownerSlot = (code >>> OWNER_SHIFT) & SLOT_MASK;
    if (ownerSlot > 0) {
      (this.owners[i] as Int32Array)[row * (this.ownerStrides[i] ?? 0) + ownerSlot - 1] = ownersId;
    }
  }

  /** The step broke the footprint (changed more than its domain): never memoise this entry. */
  refuse(code: number, domainId: number): void {
    const i = (code >>> DOMAIN_SHIFT) & DOMAIN_MASK;
    const row = this.row(i, domainId);
    if (row < 0) return;
    (this.words[i] as Int32Array)[row * (this.strides[i] ?? 0) + (code & SLOT_MASK)] = NEVER;
  }

  /** The two-domain entry of `code` (a two-domain op's) for domain ids `firstId` and
   * `secondId` and the frame owners numbered `ownersId`, or -1 when not known. A refused one is
   * found too (`pairRefused`). */
  pairEntry(code: number, firstId: number, secondId: number, ownersId: number): number {
    const slots = this.pairSlots;
    if (slots.length === 0) return -1;
    const words = this.pairWords;
    const mask = slots.length - 1;
    for (
      let slot = pairHash(code, firstId, secondId, ownersId) & mask;
      ;
      slot = (slot + 1) & mask
    ) {
      const e = slots[slot] ?? -1;
      if (e < 0) return -1;
      const at = e * PAIR_WORDS;
      if (
        words[at] === code &&
        words[at + 1] === firstId &&
        words[at + 2] === secondId &&
        words[at + 3] === ownersId
      ) {
        return e;
      }
    }
  }

  /** Is two-domain entry `e` refused (always step)? */
  pairRefused(e: number): boolean {
    return this.pairWords[e * PAIR_WORDS + 5] === NEVER;
  }

  /** The first domain's successor id of two-domain entry `e`. */
  pairFirstChild(e: number): number {
    return this.pairWords[e * PAIR_WORDS + 4] ?? -1;
  }

  /** The second domain's successor id of two-domain entry `e`. */
  pairSecondChild(e: number): number {
    return ((this.pairWords[e * PAIR_WORDS + 5] ?? 0) >>> RESULT_BITS) - 1;
  }

  /** What two-domain entry `e`'s result says (RESULT_* bits). */
  pairFlags(e: number): number {
    return (this.pairWords[e * PAIR_WORDS + 5] ?? 0) & ((1 << RESULT_BITS) - 1);
  }

  /**
   * Record what the model's step did for a two-domain op (`firstChild` < 0: it broke the
   * footprint, never memoise). Only for a pair whose domain ids both have rows, that is were
   * each met in two expanded states (see `firstMet`): a pair met in one parent only would fill
   * an entry never read again.
   */
  setPair(
    code: number,
    firstId: number,
    secondId: number,
    ownersId: number,
    firstChild: number,
    secondChild: number,
    flags: number,
  ): void {
    if (secondChild > MAX_CHILD_ID) return;
    const i = (code >>> DOMAIN_SHIFT) & DOMAIN_MASK;
    const j = (code >>> OTHER_SHIFT) & DOMAIN_MASK;
    // Both rows, not one: a short-circuit would leave the second domain's first meeting unseen.
    const first = this.row(i, firstId);
    const second = this.row(j, secondId);
    if (first < 0 || second < 0) return;
    if (this.pairEntry(code, firstId, secondId, ownersId) >= 0) return;
    const cap = Math.min(
      this.maxPairEntries,
      Math.max(PAIR_ENTRIES_FLOOR, this.parents * PAIR_ENTRIES_PER_PARENT),
    );
    if (this.pairCount >= cap) {
      this.pairCount = 0;
      this.pairSlots.fill(-1);
    }
    const e = this.pairCount++;
    if ((e + 1) * PAIR_WORDS > this.pairWords.length) {
      // 1.5, as the rows' columns: these words are most of a D >= 3 search's memo bytes.
      const capacity = Math.min(this.maxPairEntries, Math.max(1024, Math.ceil(e * 1.5)));
      this.pairWords = grown(this.pairWords, capacity * PAIR_WORDS);
    }
    const at = e * PAIR_WORDS;
    const words = this.pairWords;
    words[at] = code;
    words[at + 1] = firstId;
    words[at + 2] = secondId;
    words[at + 3] = ownersId;
    words[at + 4] = firstChild;
    words[at + 5] = firstChild < 0 ? NEVER : ((secondChild + 1) << RESULT_BITS) | flags;
    if (this.pairCount * 2 > this.pairSlots.length) this.rehashPairs();
    else this.placePair(e);
  }

  get bytes(): number {
    let b = this.pairSlots.byteLength + this.pairWords.byteLength;
    for (const cols of [this.rows, this.firstMet, this.words, this.owners]) {
      for (const c of cols) b += c.byteLength;
    }
    return b;
  }

  /** How many two-domain entries are kept (for the tests and measurements). */
  get pairEntries(): number {
    return this.pairCount;
  }

  private placePair(e: number): void {
    const slots = this.pairSlots;
    const words = this.pairWords;
    const mask = slots.length - 1;
    const at = e * PAIR_WORDS;
    let slot =
      pairHash(words[at] ?? 0, words[at + 1] ?? 0, words[at + 2] ?? 0, words[at + 3] ?? 0) & mask;
    while ((slots[slot] ?? -1) >= 0) slot = (slot + 1) & mask;
    slots[slot] = e;
  }

  private rehashPairs(): void {
    this.pairSlots = new Int32Array(Math.max(2048, this.pairSlots.length * 2)).fill(-1);
    for (let e = 0; e < this.pairCount; e++) this.placePair(e);
  }

  /** Domain `domainId`'s row (of domain index `i`), made and room for it grown if new; -1 the
   * first parent it is met in (see `firstMet`). */
  private row(i: number, domainId: number): number {
    let rows = this.rows[i] as Int32Array;
    if (domainId >= rows.length) {
      const length = Math.max(domainId + 1, Math.ceil(rows.length * 1.5), 64);
      rows = grown(rows, length);
      this.rows[i] = rows;
      this.firstMet[i] = grown(this.firstMet[i] as Int32Array, length);
    }
    const kept = rows[domainId] ?? 0;
    if (kept > 0) return kept - 1;
    const met = this.firstMet[i] as Int32Array;
    const first = met[domainId] ?? 0;
    if (first === 0) met[domainId] = this.parents;
    if (first === 0 || first === this.parents) return -1;
    const row = this.rowCount[i] ?? 0;
    this.rowCount[i] = row + 1;
    rows[domainId] = row + 1;
    const stride = this.strides[i] ?? 0;
    const words = this.words[i] as Int32Array;
    if ((row + 1) * stride > words.length) {
      // Why 1.5? The columns are most of the memo's bytes, counted in the search's B/state.
      const capacity = Math.max(row + 1, Math.ceil((words.length / Math.max(1, stride)) * 1.5), 16);
      this.words[i] = grown(words, capacity * stride);
      this.owners[i] = grown(this.owners[i] as Int32Array, capacity * (this.ownerStrides[i] ?? 0));
    }
    return row;
  }
}

/** A two-domain entry's hash (FNV-1a over its key words, then a final mix). */
function pairHash(code: number, firstId: number, secondId: number, ownersId: number): number {
  let h = Math.imul(0x811c9dc5 ^ code, 0x01000193);
  h = Math.imul(h ^ firstId, 0x01000193);
  h = Math.imul(h ^ secondId, 0x01000193);
  h = Math.imul(h ^ ownersId, 0x01000193);
  return h ^ (h >>> 15);
}

/** `a` copied into a longer array. */
function grown(a: Int32Array, length: number): Int32Array {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
