// Ops as steps. Every impl op is a generator function that yields a Pause just before each
// access to a shared grant entry (the guest and Xen race there: pub.h gives the guest no lock
// Xen respects) and each Xen lock operation (grant_read_lock, active_entry_acquire, …). The
// sequential engines drive an op to its end in one go (runToEnd) and never look at the pauses;
// the interleaving engine (src/interleave) resumes one actor at a time at these points.

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

/** An op (or a part of one) run step by step: yields its pauses, returns its result. The value
 * it is resumed with answers a WaitPause: `true`, the awaited flags are set. */
export type Steps<T> = Generator<Pause, T, true | undefined>;

/** Run an op to its end, ignoring its pauses (a wait gives up at once): the sequential engines'
 * way. */
export function runToEnd<T>(steps: Steps<T>): T {
  let next = steps.next();
  while (next.done !== true) next = steps.next();
  return next.value;
}

/** Does this access write the entry (a failed compare-and-swap counts: it may have)? */
export function pauseWrites(p: SharedPause): boolean {
  return p.access !== 'load';
}
