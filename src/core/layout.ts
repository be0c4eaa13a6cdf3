// The packed encoding of a core state: one mixed-radix integer below 2^53, so that a state is
// its own key and a successor is one addition. Fields, least significant first: the entry of
// (domain d, ref r) at position d*R + r, radix E (entry values); then the owner of frame f at
// position D*R + f, radix D.
//
// Entry value = payload * (MAXPIN+1)^2 + readCount * (MAXPIN+1) + writeCount, where payload is
//   0                          free
//   1 + (g*F + f)*2 + ro       access(grantee g, frame f, readonly ro)
//   1 + 2DF + g                transfer-waiting(grantee g)
//   1 + 2DF + D + f            transfer-done(frame f)
// Counts are zero except on access entries; only the broken variant leaves them on a free one.

import type { CoreConfig } from './config.ts';
import { coreConfigProblems, entryValues } from './config.ts';

export const FREE = 0;
export const ACCESS = 1;
export const TRANSFER_WAITING = 2;
export const TRANSFER_DONE = 3;
export type EntryKindCode =
  typeof FREE | typeof ACCESS | typeof TRANSFER_WAITING | typeof TRANSFER_DONE;

export class CoreLayout {
  readonly domains: number;
  readonly refs: number;
  readonly frames: number;
  readonly maxPin: number;
  /** Entry values (the radix of an entry field). */
  readonly entryRadix: number;
  /** D*R: entry fields come first, owner fields after. */
  readonly entryFields: number;
  readonly fieldCount: number;
  /** weight[i]: the place value of field i. */
  readonly weight: Float64Array;
  readonly radix: Int32Array;
  // Per entry value: its decoded parts (-1 where the kind has no such field).
  readonly kindOf: Uint8Array;
  readonly granteeOf: Int8Array;
  readonly frameOf: Int8Array;
  readonly readonlyOf: Uint8Array;
  readonly readCountOf: Uint8Array;
  readonly writeCountOf: Uint8Array;
  private readonly pins: number;
  private readonly counts: number;

  constructor(readonly config: CoreConfig) {
    const problems = coreConfigProblems(config);
    if (problems.length > 0) throw new RangeError(`core model: ${problems.join('; ')}`);
    const { domains: D, refs: R, frames: F, maxPin: M } = config;
    this.domains = D;
    this.refs = R;
    this.frames = F;
    this.maxPin = M;
    this.pins = M + 1;
    this.counts = this.pins * this.pins;
    const E = entryValues(config);
    this.entryRadix = E;
    this.entryFields = D * R;
    this.fieldCount = D * R + F;
    this.weight = new Float64Array(this.fieldCount);
    this.radix = new Int32Array(this.fieldCount);
    let w = 1;
    for (let i = 0; i < this.fieldCount; i++) {
      const r = i < this.entryFields ? E : D;
      this.weight[i] = w;
      this.radix[i] = r;
      w *= r;
    }
    this.kindOf = new Uint8Array(E);
    this.granteeOf = new Int8Array(E).fill(-1);
    this.frameOf = new Int8Array(E).fill(-1);
    this.readonlyOf = new Uint8Array(E);
    this.readCountOf = new Uint8Array(E);
    this.writeCountOf = new Uint8Array(E);
    for (let e = 0; e < E; e++) {
      const payload = Math.floor(e / this.counts);
      const c = e % this.counts;
      this.readCountOf[e] = Math.floor(c / this.pins);
      this.writeCountOf[e] = c % this.pins;
      if (payload === 0) {
        this.kindOf[e] = FREE;
      } else if (payload <= 2 * D * F) {
        const p = payload - 1;
        this.kindOf[e] = ACCESS;
        this.readonlyOf[e] = p & 1;
        this.frameOf[e] = (p >> 1) % F;
        this.granteeOf[e] = Math.floor((p >> 1) / F);
      } else if (payload <= 2 * D * F + D) {
        this.kindOf[e] = TRANSFER_WAITING;
        this.granteeOf[e] = payload - 1 - 2 * D * F;
      } else {
        this.kindOf[e] = TRANSFER_DONE;
        this.frameOf[e] = payload - 1 - 2 * D * F - D;
      }
    }
  }

  entryIndex(dom: number, ref: number): number {
    return dom * this.refs + ref;
  }

  ownerIndex(frame: number): number {
    return this.entryFields + frame;
  }

  freeCode(readCount = 0, writeCount = 0): number {
    return readCount * this.pins + writeCount;
  }

  accessCode(
    grantee: number,
    frame: number,
    readonly: boolean,
    readCount = 0,
    writeCount = 0,
  ): number {
    const payload = 1 + (grantee * this.frames + frame) * 2 + (readonly ? 1 : 0);
    return payload * this.counts + readCount * this.pins + writeCount;
  }

  waitingCode(grantee: number): number {
    return (1 + 2 * this.domains * this.frames + grantee) * this.counts;
  }

  doneCode(frame: number): number {
    return (1 + 2 * this.domains * this.frames + this.domains + frame) * this.counts;
  }

  /** The same entry value with other counts (for map and unmap). */
  withCounts(code: number, readCount: number, writeCount: number): number {
    return code - (code % this.counts) + readCount * this.pins + writeCount;
  }

  /** Split packed state `s` into `fields` (length fieldCount). */
  decode(s: number, fields: Int32Array): void {
    let x = s;
    const radix = this.radix;
    for (let i = 0; i < this.fieldCount; i++) {
      const r = radix[i] ?? 1;
      const q = Math.floor(x / r);
      fields[i] = x - q * r;
      x = q;
    }
  }

  encode(fields: ArrayLike<number>): number {
    let s = 0;
    for (let i = 0; i < this.fieldCount; i++) s += (fields[i] ?? 0) * (this.weight[i] ?? 0);
    return s;
  }

  /** The packed initial state: every entry free, frame f owned by domain f mod D. */
  initial(): number {
    const fields = new Int32Array(this.fieldCount);
    for (let f = 0; f < this.frames; f++) fields[this.ownerIndex(f)] = f % this.domains;
    return this.encode(fields);
  }
}
