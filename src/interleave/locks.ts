// The engine's view of Xen's locks (src/impl/hypervisor/locks.ts names them): who holds each,
// which writer has arrived at a lock its readers still hold, whether an acquire would wait, and
// who waits for whom when no actor can move.

import type { LockPause } from '../impl/index.ts';

interface Holders {
  writer: number | undefined;
  readonly readers: number[];
  /** A writer that has arrived while readers held the lock and waits for them to leave: Xen's
   * _percpu_write_lock has taken the inner rwlock and set writer_activating (common/rwlock.c). */
  arrived: number | undefined;
}

export class LockTable {
  private readonly held = new Map<string, Holders>();

  /** Can `actor` take `p` (an acquire) now? A write lock needs no holder and no other writer
   * arrived; a read lock no writer, holding or arrived (_percpu_read_lock sends a reader to the
   * slow path, behind the writer's inner write lock, once writer_activating is set:
   * xen/include/xen/rwlock.h). */
  canAcquire(actor: number, p: LockPause): boolean {
    const h = this.held.get(p.lock);
    if (h === undefined) return true;
    if (h.writer !== undefined) return false;
    if (p.mode === 'read') return h.arrived === undefined;
    return h.readers.length === 0 && (h.arrived === undefined || h.arrived === actor);
  }

  /** Can `actor`, at the write acquire `p`, arrive: readers hold the lock, and no writer holds
   * it or has arrived? (_percpu_write_lock takes the inner rwlock, which fast-path readers do
   * not hold, sets writer_activating, then waits for the readers: common/rwlock.c.) A writer
   * that finds the lock free takes it at once instead; one that finds a writer there waits in
   * the inner lock's queue and sets nothing. */
  canArrive(actor: number, p: LockPause): boolean {
    const h = this.held.get(p.lock);
    return (
      p.action === 'acquire' &&
      p.mode === 'write' &&
      h !== undefined &&
      h.writer === undefined &&
      h.arrived === undefined &&
      h.readers.length > 0 &&
      !h.readers.includes(actor)
    );
  }

  /** `actor` arrives at the write acquire `p` (canArrive): new readers wait from now on. */
  arrive(actor: number, p: LockPause): void {
    const h = this.held.get(p.lock);
    if (h !== undefined) h.arrived = actor;
  }

  /** Take or drop `p` for `actor`; a message when that is a misuse (the impl's bug), or null. */
  apply(actor: number, p: LockPause): string | null {
    let h = this.held.get(p.lock);
    if (p.action === 'acquire') {
      if (!this.canAcquire(actor, p)) return `a${actor} took ${p.lock} while it was held`;
      if (h === undefined) {
        h = { writer: undefined, readers: [], arrived: undefined };
        this.held.set(p.lock, h);
      }
      if (h.readers.includes(actor)) return `a${actor} took ${p.lock} again`;
      if (p.mode === 'write') {
        h.writer = actor;
        h.arrived = undefined;
      } else h.readers.push(actor);
      return null;
    }
    const i = h?.readers.indexOf(actor) ?? -1;
    if (h !== undefined && p.mode === 'write' && h.writer === actor) h.writer = undefined;
    else if (h !== undefined && p.mode === 'read' && i >= 0) h.readers.splice(i, 1);
    else return `a${actor} released ${p.lock} (${p.mode}) without holding it`;
    if (h.writer === undefined && h.readers.length === 0 && h.arrived === undefined) {
      this.held.delete(p.lock);
    }
    return null;
  }

  /** The actors holding `lock`. */
  holders(lock: string): number[] {
    const h = this.held.get(lock);
    if (h === undefined) return [];
    return h.writer !== undefined ? [h.writer] : [...h.readers];
  }

  /** The writer arrived at `lock` and waiting for its readers, if any. */
  arrivedWriter(lock: string): number | undefined {
    return this.held.get(lock)?.arrived;
  }

  /** The locks `actor` holds. */
  heldBy(actor: number): string[] {
    const out: string[] = [];
    for (const [lock, h] of this.held)
      if (h.writer === actor || h.readers.includes(actor)) out.push(lock);
    return out;
  }
}
