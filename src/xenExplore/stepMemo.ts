// The explorer's step memo: for an op that reads and changes one domain alone (./footprint.ts),
// (op, that domain's packed id) -> (the op's result, the successor's id for that domain). A
// repeat skips the model's step and the successor's key: the key is the parent's with one domain
// id replaced (StateKeyPacker.keyReplacing). Refused ops, about half the transitions, become a
// table lookup.
//
// Why is a domain's id enough? The memo is read and written only for states the packer decoded
// (fromKey), whose domains are the first objects numbered with their ids: equal ids, the very
// same DomainState; and only while no domain is dead (./footprint.ts says why).

import type { Op } from '../ops/op.ts';
import { opFootprint } from './footprint.ts';

/** An op's code: its slot among its domain's ops (bits 0-11), its slot + 1 among those that
 * also read the frame owners (bits 12-23; 0: it does not), its domain index (bits 24-29). */
const SLOT_MASK = 0xfff;
const OWNER_SHIFT = 12;
const DOMAIN_SHIFT = 24;
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

  constructor(ops: Iterable<Op>, domains: number) {
    this.strides = new Array<number>(domains).fill(0);
    this.ownerStrides = new Array<number>(domains).fill(0);
    for (const op of ops) {
      if (this.codes.has(op)) continue;
      const fp = opFootprint(op, domains);
      if (fp === undefined) continue;
      const i = fp.domain;
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
   * footprint is more than one domain). */
  code(op: Op): number {
    return this.codes.get(op) ?? -1;
  }

  /** The domain index of a code. */
  static domain(code: number): number {
    return code >>> DOMAIN_SHIFT;
  }

  /** The entry of `code` for the domain numbered `domainId` and the frame owners numbered
   * `ownersId`, or -1 when not known (or never). */
  entry(code: number, domainId: number, ownersId: number): number {
    const i = code >>> DOMAIN_SHIFT;
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
    const i = code >>> DOMAIN_SHIFT;
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
    const i = code >>> DOMAIN_SHIFT;
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
    const i = code >>> DOMAIN_SHIFT;
    const row = this.row(i, domainId);
    if (row < 0) return;
    (this.words[i] as Int32Array)[row * (this.strides[i] ?? 0) + (code & SLOT_MASK)] = NEVER;
  }

  get bytes(): number {
    let b = 0;
    for (const cols of [this.rows, this.firstMet, this.words, this.owners]) {
      for (const c of cols) b += c.byteLength;
    }
    return b;
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

/** `a` copied into a longer array. */
function grown(a: Int32Array, length: number): Int32Array {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
