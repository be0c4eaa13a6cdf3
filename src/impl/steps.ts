// Ops as steps. Every impl op is a generator function that yields a Pause just before each
// access to a shared grant entry (the guest and Xen race there: pub.h gives the guest no lock
// Xen respects) and each Xen lock operation (grant_read_lock, active_entry_acquire, …). The
// interleaving engine (src/interleave) turns pauses on and resumes one actor at a time at these
// points (`if (pausing) yield …`). The sequential engines do not resume generators at all: they
// run each op's sequential twin (./sequential.ts), which bin/gen-sequential.ts derives from these
// same sources at every build and test run (function* -> function, the pause points removed,
// yield* -> a call of the callee's twin, Steps<T> -> T), so there is one source to read and edit.
// A pause point must keep one of the forms that script knows (`if (pausing) yield pause;`, `x =
// pausing ? yield pause : undefined`, `yield* steps(…)`): any other yield stops the build.

import type { DomId, Ref } from '../ops/op.ts';

export type SharedField = 'flags' | 'domid' | 'frame' | 'combo' | 'entry';
export type SharedAccessKind = 'load' | 'store' | 'cmpxchg' | 'and';

/** The next access to a shared entry of domain `dom`'s table. */
export interface SharedPause {
  readonly kind: 'shared';
  readonly access: SharedAccessKind;
  readonly field: SharedField;
  readonly dom: DomId;
  readonly ref: Ref;
}

/** The next operation on one of Xen's locks (./hypervisor/locks.ts names them). */
export interface LockPause {
  readonly kind: 'lock';
  readonly action: 'acquire' | 'release';
  /** Read (shared) or write (exclusive); a spinlock is always 'write'. */
  readonly mode: 'read' | 'write';
  readonly lock: string;
}

/** A guest spinning on an entry until Xen sets one of `mask`'s flags (Linux's wait for
 * GTF_transfer_completed). The op is resumed with `true` once the flags show it; run alone, it is
 * resumed with `undefined` (no one else can set them) and gives up. */
export interface WaitPause {
  readonly kind: 'wait';
  readonly dom: DomId;
  readonly ref: Ref;
  readonly mask: number;
}

export type Pause = SharedPause | LockPause | WaitPause;

/** Do ops yield their pauses? Only inside `withPauses`; every pause point reads
 * `if (pausing) yield pause`, so with pauses off an op does exactly what it does with them on,
 * less the suspending (a wait gives up at once, as runToEnd answers it). */
export let pausing = false;

/** Run `body` (which resumes ops' steps) with pauses on. Resume an op's steps either always
 * inside withPauses or never: one resumed outside would run on through its pause points. */
export function withPauses<T>(body: () => T): T {
  const was = pausing;
  pausing = true;
  try {
    return body();
  } finally {
    pausing = was;
  }
}

/** An op (or a part of one) run step by step: yields its pauses, returns its result. The value
 * it is resumed with answers a WaitPause: `true`, the awaited flags are set. */
export type Steps<T> = Generator<Pause, T, true | undefined>;

/** Run an op to its end, ignoring its pauses (a wait gives up at once): what its sequential
 * twin does without the generators (a part written outside src/impl and src/faults has no twin,
 * and runs this way). */
export function runToEnd<T>(steps: Steps<T>): T {
  let next = steps.next();
  while (next.done !== true) next = steps.next();
  return next.value;
}

/** The steps of an op that touches no shared entry and no lock: it runs when first resumed. */
// eslint-disable-next-line require-yield -- an op without pauses is the point
export function* noPauses<T>(run: () => T): Steps<T> {
  return run();
}

/** Does this access write the entry (a failed compare-and-swap counts: it may have)? */
export function pauseWrites(p: SharedPause): boolean {
  return p.access !== 'load';
}

/** Steps that run `part` on each element of `batch` in turn and return `finish` of their
 * results: what the batch loop `for (x of batch) rs.push(yield* part(x)); return finish(rs)`
 * does, without a generator of its own (one would re-yield every pause of every element). */
export function eachElement<A, R, T>(
  batch: readonly A[],
  part: (element: A) => Steps<R>,
  finish: (results: R[]) => T,
): Steps<T> {
  return new EachElement(batch, part, finish);
}

/** eachElement in a sequential twin (bin/gen-sequential.ts): the same loop, run at once. */
export function eachElementNow<A, R, T>(
  batch: readonly A[],
  part: (element: A) => R,
  finish: (results: R[]) => T,
): T {
  const results: R[] = [];
  for (const element of batch) results.push(part(element));
  return finish(results);
}

class EachElement<A, R, T> implements Steps<T> {
  private index = 0;
  /** The element running now: its steps, paused. */
  private current: Steps<R> | undefined = undefined;
  private readonly results: R[] = [];

  constructor(
    private readonly batch: readonly A[],
    private readonly part: (element: A) => Steps<R>,
    private readonly finish: (results: R[]) => T,
  ) {}

  /** As yield* does: `resume` (a WaitPause's answer) goes to the element running now. */
  next(resume?: true): IteratorResult<Pause, T> {
    return this.onFrom(this.current?.next(resume));
  }

  /** As yield* does: into the element running now (which may catch it). */
  throw(e: unknown): IteratorResult<Pause, T> {
    const current = this.current;
    if (current === undefined) {
      this.index = this.batch.length;
      throw e;
    }
    return this.onFrom(current.throw(e));
  }

  /** As yield* does: the element running now is ended first. */
  return(value: T): IteratorResult<Pause, T> {
    this.current?.return(undefined as R);
    this.current = undefined;
    this.index = this.batch.length;
    return { done: true, value };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Go on from what the current element's steps just gave (undefined: no element running). */
  private onFrom(step: IteratorResult<Pause, R> | undefined): IteratorResult<Pause, T> {
    for (;;) {
      if (step !== undefined) {
        if (step.done !== true) return step;
        this.results.push(step.value);
        this.current = undefined;
      }
      if (this.index >= this.batch.length) return { done: true, value: this.finish(this.results) };
      const current = this.part(this.batch[this.index++] as A);
      this.current = current;
      step = current.next();
    }
  }
}
