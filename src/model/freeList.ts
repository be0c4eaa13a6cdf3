// A maptrack free list as an immutable FIFO queue of handles, kept as runs of consecutive
// handles. Xen links a new maptrack frame's handles in ascending order (get_maptrack_handle
// L687-715) and appends freed ones at the tail, so a list of hundreds of handles is a few runs:
// taking the head, appending, and comparing cost O(runs), where an array would copy every
// handle on every map and unmap.

import type { Handle } from '../ops/op.ts';

export class FreeList implements Iterable<Handle> {
  static readonly EMPTY = new FreeList([], 0);

  /** `runs` is flat: [first0, last0, first1, last1, ...], each run ascending and non-empty. */
  private constructor(
    private readonly runs: readonly number[],
    readonly length: number,
  ) {}

  /** The handles `first..last`, in order. */
  static range(first: Handle, last: Handle): FreeList {
    return last < first ? FreeList.EMPTY : new FreeList([first, last], last - first + 1);
  }

  static of(handles: Iterable<Handle>): FreeList {
    // push's runs, built in one array (a push per handle would copy the runs each time)
    const runs: number[] = [];
    let length = 0;
    for (const h of handles) {
      if (runs.length > 0 && runs[runs.length - 1] === h - 1) runs[runs.length - 1] = h;
      else runs.push(h, h);
      length++;
    }
    return length === 0 ? FreeList.EMPTY : new FreeList(runs, length);
  }

  /** The next handle handed out (the list's head). */
  get head(): Handle | undefined {
    return this.runs[0];
  }

  /** The list without its head. */
  shift(): FreeList {
    const first = this.runs[0];
    const last = this.runs[1];
    if (first === undefined || last === undefined) return this;
    const rest = this.runs.slice(first === last ? 2 : 0);
    if (first !== last) rest[0] = first + 1;
    return new FreeList(rest, this.length - 1);
  }

  /** The list with `handle` appended at the tail (put_maptrack_handle). */
  push(handle: Handle): FreeList {
    const n = this.runs.length;
    if (n > 0 && this.runs[n - 1] === handle - 1) {
      const runs = this.runs.slice();
      runs[n - 1] = handle;
      return new FreeList(runs, this.length + 1);
    }
    const runs = this.runs.slice();
    runs.push(handle, handle);
    return new FreeList(runs, this.length + 1);
  }

  /** The list with its head moved to the tail: `shift().push(head)` in one copy (a failed map
   * takes the head handle and puts it back). */
  rotate(): FreeList {
    const runs = this.runs;
    const first = runs[0];
    const last = runs[1];
    if (first === undefined || last === undefined) return this;
    const out: number[] = first === last ? [] : [first + 1, last];
    for (let i = 2; i < runs.length; i++) out.push(runs[i] ?? 0);
    const n = out.length;
    if (n > 0 && out[n - 1] === first - 1) out[n - 1] = first;
    else out.push(first, first);
    return new FreeList(out, this.length);
  }

  /** This list followed by `tail`. */
  concat(tail: FreeList): FreeList {
    if (tail.length === 0) return this;
    if (this.length === 0) return tail;
    const runs = this.runs.slice();
    const first = tail.runs[0];
    const last = tail.runs[1];
    if (first !== undefined && last !== undefined && runs[runs.length - 1] === first - 1) {
      runs[runs.length - 1] = last;
      runs.push(...tail.runs.slice(2));
    } else {
      runs.push(...tail.runs);
    }
    return new FreeList(runs, this.length + tail.length);
  }

  equals(other: FreeList): boolean {
    if (this === other) return true;
    if (this.length !== other.length || this.runs.length !== other.runs.length) return false;
    for (let i = 0; i < this.runs.length; i++) if (this.runs[i] !== other.runs[i]) return false;
    return true;
  }

  /** Call `visit(first, last, arg)` on each run, in list order, until it returns false; false
   * if it did. (`arg` saves a caller a closure per call.) */
  everyRun<A>(visit: (first: Handle, last: Handle, arg: A) => boolean, arg: A): boolean {
    for (let i = 0; i + 1 < this.runs.length; i += 2) {
      if (!visit(this.runs[i] ?? 0, this.runs[i + 1] ?? 0, arg)) return false;
    }
    return true;
  }

  /** The runs as [first, last] pairs, in list order. */
  ranges(): (readonly [Handle, Handle])[] {
    const ranges: (readonly [Handle, Handle])[] = [];
    for (let i = 0; i + 1 < this.runs.length; i += 2) {
      ranges.push([this.runs[i] ?? 0, this.runs[i + 1] ?? 0]);
    }
    return ranges;
  }

  *[Symbol.iterator](): Iterator<Handle> {
    for (const [first, last] of this.ranges()) for (let h = first; h <= last; h++) yield h;
  }

  toArray(): Handle[] {
    return [...this];
  }
}
