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

/** Bits of an op's code that hold its slot; the domain index is above them. */
const SLOT_BITS = 16;
/** An entry's result bits: the step returned the very model state it was given. */
export const RESULT_SAME = 1;
/** ... the result was end_transfer's `completed` (the collected-transfer ghost's input). */
export const RESULT_COMPLETED = 2;
/** ... the result was a successful grant_access or grant_transfer (the same). */
export const RESULT_GRANTED = 4;
/** A code's bit: the op reads the frame owners too. */
const OWNERS = 1 << 30;
/** An entry whose successor broke the declared footprint: always step (see `refuse`). */
const NEVER = -2;

export class StepMemo {
  /** op -> domain index << SLOT_BITS | the op's slot among that domain's ops (| OWNERS). */
  private readonly codes = new Map<Op, number>();
  /** Per domain index: how many ops it has. */
  private readonly strides: number[];
  /** Per domain index, per domain id: its row + 1 in the columns below (0: none yet). Why
   * rows? Only the domains of expanded states get entries, a fraction of the domains numbered. */
  private rows: Int32Array[];
  private rowCount: number[];
  /** Per domain index, per entry (row * stride + slot): the successor's domain id + 1
   * (0: not known yet; NEVER); what the result said (RESULT_* bits); the frame owners' id the
   * entry was made with (an op that reads them). Why not the result itself? The search needs
   * only these bits of it; a caller that wants the result (conformance, through the model's
   * `lastResult`) gets it from the model's step. */
  private child: Int32Array[];
  private meta: Int32Array[];
  private owners: Int32Array[];

  constructor(ops: Iterable<Op>, domains: number) {
    this.strides = new Array<number>(domains).fill(0);
    for (const op of ops) {
      if (this.codes.has(op)) continue;
      const fp = opFootprint(op, domains);
      if (fp === undefined) continue;
      const i = fp.domain;
      const slot = this.strides[i] ?? 0;
      this.strides[i] = slot + 1;
      this.codes.set(op, (i << SLOT_BITS) | slot | (fp.owners ? OWNERS : 0));
    }
    this.rows = this.strides.map(() => new Int32Array(0));
    this.rowCount = this.strides.map(() => 0);
    this.child = this.strides.map(() => new Int32Array(0));
    this.meta = this.strides.map(() => new Int32Array(0));
    this.owners = this.strides.map(() => new Int32Array(0));
  }

  /** The op's code, or -1 when the memo does not cover it (an op no table holds, or one whose
   * footprint is more than one domain). */
  code(op: Op): number {
    return this.codes.get(op) ?? -1;
  }

  /** The domain index of a code. */
  static domain(code: number): number {
    return (code & ~OWNERS) >>> SLOT_BITS;
  }

  /** The entry of `code` for the domain numbered `domainId` and the frame owners numbered
   * `ownersId`, or -1 when not known (or never). */
  entry(code: number, domainId: number, ownersId: number): number {
    const i = StepMemo.domain(code);
    const at = this.at(code, i, domainId);
    const c = this.child[i] as Int32Array;
    if (at < 0 || (c[at] ?? 0) <= 0) return -1;
    return (code & OWNERS) === 0 || this.owners[i]?.[at] === ownersId ? at : -1;
  }

  /** Is the entry of `code` for `domainId` refused (always step)? */
  refused(code: number, domainId: number): boolean {
    const i = StepMemo.domain(code);
    const at = this.at(code, i, domainId);
    return at >= 0 && this.child[i]?.[at] === NEVER;
  }

  /** The successor's domain id of an entry of domain index `i`. */
  childId(i: number, entry: number): number {
    return (this.child[i]?.[entry] ?? 1) - 1;
  }

  /** What the entry's result says (RESULT_* bits). */
  flags(i: number, entry: number): number {
    return this.meta[i]?.[entry] ?? 0;
  }

  /** Record what the model's step did. An op that reads the frame owners keeps one entry per
   * domain id: the last owners it was made with. */
  set(code: number, domainId: number, ownersId: number, childId: number, flags: number): void {
    const i = StepMemo.domain(code);
    const at = this.grown(code, i, domainId);
    (this.child[i] as Int32Array)[at] = childId + 1;
    (this.meta[i] as Int32Array)[at] = flags;
    (this.owners[i] as Int32Array)[at] = ownersId;
  }

  /** The step broke the footprint (changed more than its domain): never memoise this entry. */
  refuse(code: number, domainId: number): void {
    const i = StepMemo.domain(code);
    (this.child[i] as Int32Array)[this.grown(code, i, domainId)] = NEVER;
  }

  get bytes(): number {
    let b = 0;
    for (const cols of [this.child, this.meta, this.owners])
      for (const c of cols) b += c.byteLength;
    return b;
  }

  /** The entry's index, or -1 when the domain has no row. */
  private at(code: number, i: number, domainId: number): number {
    const row = (this.rows[i]?.[domainId] ?? 0) - 1;
    return row < 0 ? -1 : row * (this.strides[i] ?? 0) + (code & ((1 << SLOT_BITS) - 1));
  }

  /** The entry's index, the domain's row made and the columns grown to hold it. */
  private grown(code: number, i: number, domainId: number): number {
    let rows = this.rows[i] as Int32Array;
    if (domainId >= rows.length) {
      const grownRows = new Int32Array(Math.max(domainId + 1, rows.length * 2, 64));
      grownRows.set(rows);
      this.rows[i] = rows = grownRows;
    }
    if ((rows[domainId] ?? 0) === 0) {
      const row = this.rowCount[i] ?? 0;
      this.rowCount[i] = row + 1;
      rows[domainId] = row + 1;
      const stride = this.strides[i] ?? 0;
      const need = (row + 1) * stride;
      if (need > (this.child[i] as Int32Array).length) {
        const size = Math.max(need, (this.child[i] as Int32Array).length * 2, stride * 64);
        const grow = (cols: Int32Array[]): void => {
          const grownCol = new Int32Array(size);
          grownCol.set(cols[i] as Int32Array);
          cols[i] = grownCol;
        };
        grow(this.child);
        grow(this.meta);
        grow(this.owners);
      }
    }
    return this.at(code, i, domainId);
  }
}
