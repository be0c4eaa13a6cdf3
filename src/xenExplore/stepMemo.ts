// The explorer's step memo: for an op that reads and changes one domain alone (./footprint.ts),
// (op, that domain's packed id) -> (the op's result, the successor's id for that domain). A
// repeat skips the model's step and the successor's key: the key is the parent's with one domain
// id replaced (StateKeyPacker.keyReplacing). Refused ops, about half the transitions, become a
// table lookup. An op whose footprint is two domains (a map of another domain's grant) has its
// entries in a hash table keyed by the parts it reads: (op, each domain's view, the frame
// owners' id) -> (each domain's successor view, the result bits), where a view is the numbered
// tuple of a domain's scalars and the part ids the footprint names (the caller's maptrack, PTEs
// and p2m; the granter's shared and active entries and p2m). The successor's domain ids are the
// parent's with those parts replaced (StateKeyPacker.domainIdWith). Only with three domains or
// more: at D2 the basic preset's maps of the other domain repeat their views 4.7 times on
// average and a table of 2^16 entries answers 64% of them, yet the search took 1.03x the CPU
// time with them (an answer costs about 0.55 us against 1.35 us for the step and its key, and
// every miss pays for two views and the entry on top). Measured again in session 33, compiled,
// the basic preset with the quotients in process, three pairs: 1.02 to 1.05x the CPU time, the
// memo answering 6.06 M steps against 5.16 M.
//
// Why is a domain's id enough? The memo is read and written only for states the packer decoded
// (fromKey), whose domains are the first objects numbered with their ids: equal ids, the very
// same DomainState; and only while no domain is dead (./footprint.ts says why). And a view? Its
// part ids name their parts' key texts (up to the packer's quotients, which every op respects:
// that is what makes them quotients), so a decoded state's parts with those ids step alike.

import type { StateKeyPacker } from '../model/packedKey.ts';
import { DOMAIN_PARTS, TupleInterner } from '../model/packedKey.ts';
import type { Op } from '../ops/op.ts';
import { opFootprint } from './footprint.ts';

/** What a two-domain op reads of each domain: the slots of the parts (DOMAIN_PARTS) beside the
 * scalars, and the interner of their views (a view: the tuple of the scalars' id and those part
 * ids, numbered). */
interface PairSide {
  readonly parts: readonly number[];
  /** The slots it does not read (the scalars among them): a step must leave them as they were. */
  readonly unread: readonly number[];
  readonly views: TupleInterner;
  /** Its number among the memo's distinct sides (see `parentView`). */
  readonly index: number;
}

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
/** A two-domain entry's words: code, first view, second view, owners' id, the first successor
 * view, then the word of the second successor view and the result bits (as above; NEVER). */
const PAIR_WORDS = 6;
/** Two-domain entries kept at most (24 bytes each, and 8 of index: 2 MiB; fewer early in a
 * search, PAIR_ENTRIES_PER_PARENT). A full table is emptied and fills again: a breadth-first
 * search meets new domains level by level, and the recent entries are the ones its next states
 * repeat. Why 2^16? The basic preset at D3, first 400 000 states: 2^18 entries answered
 * 10.88 M steps at 55.7 B/state, 2^16 10.83 M at 50.4, 2^14 10.55 M at 46.4 (keyed by domain
 * ids instead of views, 2^18 answered 10.00 M). */
const MAX_PAIR_ENTRIES = 1 << 16;
/** Two-domain entries kept at most per parent the memo was asked about, and in any case (the
 * floor). Why a bound by parents? A small search repeats few pairs: at D3 to depth 3 (17 186
 * states) an unbounded table keyed by domain ids kept 24 138 entries, 51 B per stored state,
 * about half the search's bytes. With eight per parent, keyed by views, the whole memo is 17
 * B/state there (77.7 in all); at 400 000 states the bound no longer binds. */
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
  /** Scratch tuples by length (a view is at most the scalars and every part). */
  private readonly viewTuples = Array.from(
    { length: Object.keys(DOMAIN_PARTS).length + 1 },
    (_, n) => new Array<number>(n).fill(0),
  );
  /** Per two-domain op slot: what it reads of its first and its second domain. */
  private readonly pairSides: (readonly [PairSide, PairSide])[] = [];
  /** Per side (`PairSide.index`): its view in the parent the memo is asked about, -1 not known
   * yet. Why? A state's maps of another domain's grants are many ops with the same two views. */
  private readonly viewCache: Int32Array;
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
    /** View interners by domain index and the slots they hold: ops reading the same parts of
     * the same domain share views. */
    const sides = new Map<string, PairSide>();
    const side = (d: number, parts: readonly (keyof typeof DOMAIN_PARTS)[]): PairSide => {
      const slots = parts.map((p) => DOMAIN_PARTS[p]);
      const name = `${d}:${slots.join(',')}`;
      let found = sides.get(name);
      if (found === undefined) {
        const unread = Object.values(DOMAIN_PARTS).filter((slot) => !slots.includes(slot));
        const views = new TupleInterner(1 + slots.length);
        found = { parts: slots, unread, views, index: sides.size };
        sides.set(name, found);
      }
      return found;
    };
    for (const op of ops) {
      if (this.codes.has(op)) continue;
      const fp = opFootprint(op, domains);
      if (fp === undefined || domains > DOMAIN_MASK + 1) continue;
      const i = fp.domain;
      if (fp.other !== undefined) {
        // Why not with two domains? See the head of this file.
        const slot = this.pairSides.length;
        if (domains < 3 || fp.reads === undefined || slot > PAIR_SLOT_MASK) continue;
        this.pairSides.push([side(i, fp.reads.domain), side(fp.other, fp.reads.other)]);
        this.codes.set(op, PAIR | (i << DOMAIN_SHIFT) | (fp.other << OTHER_SHIFT) | slot);
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
    this.viewCache = new Int32Array(sides.size).fill(-1);
    this.rows = this.strides.map(() => new Int32Array(0));
    this.rowCount = this.strides.map(() => 0);
    this.firstMet = this.strides.map(() => new Int32Array(0));
    this.words = this.strides.map(() => new Int32Array(0));
    this.owners = this.strides.map(() => new Int32Array(0));
  }

  /** The steps that follow are of another parent state. */
  parent(): void {
    this.parents++;
    this.viewCache.fill(-1);
  }

  /** `viewOf` for the parent the memo is asked about (`ids` its id vector): computed once per
   * parent and side, then kept until the next `parent`. */
  parentView(
    packer: StateKeyPacker,
    code: number,
    second: boolean,
    ids: readonly number[],
    i: number,
  ): number {
    const at = this.pairSide(code, second).index;
    let view = this.viewCache[at] ?? -1;
    if (view < 0) {
      view = this.viewOf(packer, code, second, ids, i);
      this.viewCache[at] = view;
    }
    return view;
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

  /** The part slots (DOMAIN_PARTS) two-domain op `code` reads of its first (`second`: its
   * second) domain beside the scalars: a view's words 1.. in order. */
  pairParts(code: number, second: boolean): readonly number[] {
    return this.pairSide(code, second).parts;
  }

  /** The view op `code` has of domain `i` (its `second` domain, or its first) in id vector
   * `ids` of `packer`. */
  viewOf(
    packer: StateKeyPacker,
    code: number,
    second: boolean,
    ids: readonly number[],
    i: number,
  ): number {
    const side = this.pairSide(code, second);
    const tuple = this.viewTuples[side.parts.length + 1] as number[];
    tuple[0] = packer.domainPart(ids, i, DOMAIN_PARTS.scalars);
    for (let k = 0; k < side.parts.length; k++) {
      tuple[k + 1] = packer.domainPart(ids, i, side.parts[k] ?? 0);
    }
    return side.views.id(tuple);
  }

  /** The id of domain `i` of `ids` with the parts of its view replaced by view `view`'s. */
  withView(
    packer: StateKeyPacker,
    code: number,
    second: boolean,
    ids: readonly number[],
    i: number,
    view: number,
  ): number {
    const side = this.pairSide(code, second);
    const partIds = this.viewTuples[side.parts.length] as number[];
    for (let k = 0; k < side.parts.length; k++) partIds[k] = side.views.word(view, k + 1);
    return packer.domainIdWith(ids, i, side.parts, partIds);
  }

  /** Did the step from `ids` to `childIds` change, of op `code`'s domains `i` and `j`, only
   * parts of their views (not the scalars, not a part it does not read)? */
  onlyViewChanged(
    packer: StateKeyPacker,
    code: number,
    ids: readonly number[],
    childIds: readonly number[],
    i: number,
    j: number,
  ): boolean {
    for (const [d, second] of [
      [i, false],
      [j, true],
    ] as const) {
      for (const slot of this.pairSide(code, second).unread) {
        if (packer.domainPart(childIds, d, slot) !== packer.domainPart(ids, d, slot)) return false;
      }
    }
    return true;
  }

  private pairSide(code: number, second: boolean): PairSide {
    const sides = this.pairSides[code & PAIR_SLOT_MASK] as readonly [PairSide, PairSide];
    return sides[second ? 1 : 0];
  }

  /** The two-domain entry of `code` (a two-domain op's) for the views `firstView` and
   * `secondView` of its two domains and the frame owners numbered `ownersId`, or -1 when not
   * known. A refused one is found too (`pairRefused`). */
  pairEntry(code: number, firstView: number, secondView: number, ownersId: number): number {
    const slots = this.pairSlots;
    if (slots.length === 0) return -1;
    const words = this.pairWords;
    const mask = slots.length - 1;
    for (
      let slot = pairHash(code, firstView, secondView, ownersId) & mask;
      ;
      slot = (slot + 1) & mask
    ) {
      const e = slots[slot] ?? -1;
      if (e < 0) return -1;
      const at = e * PAIR_WORDS;
      if (
        words[at] === code &&
        words[at + 1] === firstView &&
        words[at + 2] === secondView &&
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

  /** The first domain's successor view of two-domain entry `e`. */
  pairFirstChild(e: number): number {
    return this.pairWords[e * PAIR_WORDS + 4] ?? -1;
  }

  /** The second domain's successor view of two-domain entry `e`. */
  pairSecondChild(e: number): number {
    return ((this.pairWords[e * PAIR_WORDS + 5] ?? 0) >>> RESULT_BITS) - 1;
  }

  /** What two-domain entry `e`'s result says (RESULT_* bits). */
  pairFlags(e: number): number {
    return (this.pairWords[e * PAIR_WORDS + 5] ?? 0) & ((1 << RESULT_BITS) - 1);
  }

  /** Record what the model's step did for a two-domain op: its domains' views before and
   * after (`firstChild` < 0: it broke the footprint, never memoise). */
  setPair(
    code: number,
    firstView: number,
    secondView: number,
    ownersId: number,
    firstChild: number,
    secondChild: number,
    flags: number,
  ): void {
    if (secondChild > MAX_CHILD_ID) return;
    if (this.pairEntry(code, firstView, secondView, ownersId) >= 0) return;
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
    words[at + 1] = firstView;
    words[at + 2] = secondView;
    words[at + 3] = ownersId;
    words[at + 4] = firstChild;
    words[at + 5] = firstChild < 0 ? NEVER : ((secondChild + 1) << RESULT_BITS) | flags;
    if (this.pairCount * 2 > this.pairSlots.length) this.rehashPairs();
    else this.placePair(e);
  }

  get bytes(): number {
    let b = this.pairSlots.byteLength + this.pairWords.byteLength;
    const views = new Set<TupleInterner>();
    for (const [first, second] of this.pairSides) views.add(first.views).add(second.views);
    for (const v of views) b += v.bytes;
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
function pairHash(code: number, first: number, second: number, ownersId: number): number {
  let h = Math.imul(0x811c9dc5 ^ code, 0x01000193);
  h = Math.imul(h ^ first, 0x01000193);
  h = Math.imul(h ^ second, 0x01000193);
  h = Math.imul(h ^ ownersId, 0x01000193);
  return h ^ (h >>> 15);
}

/** `a` copied into a longer array. */
function grown(a: Int32Array, length: number): Int32Array {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
