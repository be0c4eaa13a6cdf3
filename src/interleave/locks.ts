// The engine's view of Xen's locks (src/impl/hypervisor/locks.ts names them): who holds each,
// whether an acquire would wait, and who waits for whom when no actor can move.

import type { LockPause } from '../impl/index.ts';

interface Holders {
  writer: number | undefined;
  readonly readers: number[];
}

export class LockTable {
  private readonly held = new Map<string, Holders>();

  /** Is `p` (an acquire) free of holders that exclude it? A write lock needs no holder at all;
   * a read lock no writer. (The run also keeps a new reader out while a writer waits: Xen's
   * percpu rwlock, _percpu_read_lock, sends readers to the slow path once a writer is
   * activating: xen/include/xen/rwlock.h.) */
  canAcquire(p: LockPause): boolean {
    const h = this.held.get(p.lock);
    if (h === undefined) return true;
    if (h.writer !== undefined) return false;
    return p.mode === 'read' || h.readers.length === 0;
  }

  /** Take or drop `p` for `actor`; a message when that is a misuse (the impl's bug), or null. */
  apply(actor: number, p: LockPause): string | null {
    let h = this.held.get(p.lock);
    if (p.action === 'acquire') {
      if (!this.canAcquire(p)) return `a${actor} took ${p.lock} while it was held`;
      if (h === undefined) {
        h = { writer: undefined, readers: [] };
        this.held.set(p.lock, h);
      }
      if (h.readers.includes(actor)) return `a${actor} took ${p.lock} again`;
      if (p.mode === 'write') h.writer = actor;
      else h.readers.push(actor);
      return null;
    }
    const i = h?.readers.indexOf(actor) ?? -1;
    if (h !== undefined && p.mode === 'write' && h.writer === actor) h.writer = undefined;
    else if (h !== undefined && p.mode === 'read' && i >= 0) h.readers.splice(i, 1);
    else return `a${actor} released ${p.lock} (${p.mode}) without holding it`;
    if (h.writer === undefined && h.readers.length === 0) this.held.delete(p.lock);
    return null;
  }

  /** The actors holding `lock`. */
  holders(lock: string): number[] {
    const h = this.held.get(lock);
    if (h === undefined) return [];
    return h.writer !== undefined ? [h.writer] : [...h.readers];
  }

  /** The locks `actor` holds. */
  heldBy(actor: number): string[] {
    const out: string[] = [];
    for (const [lock, h] of this.held)
      if (h.writer === actor || h.readers.includes(actor)) out.push(lock);
    return out;
  }
}
