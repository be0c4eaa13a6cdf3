// One guest's grant library state (Linux drivers/xen/grant-table.c): its own shared
// table, reached only through SharedGrantMemory, and the size it learned from the hypervisor.

import type { DomId, Ref } from '../../ops/op.ts';
import {
  GNTTAB_NR_RESERVED_ENTRIES,
  GTF_accept_transfer,
  GTF_invalid,
  GTF_reading,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_type_mask,
  GTF_writing,
} from '../../xen/abi.ts';
import type { SharedGrantMemory } from '../sharedMemory.ts';
import type { BackendState, GuestLibState } from '../../model/state.ts';
import type { BackendLib } from './backend/backend.ts';
import { abstractGuest, type ProfileLib } from './profiles/index.ts';

const NO_REFS: ReadonlySet<Ref> = new Set();

export class GuestLib {
  /** Test instrumentation: refs written by raw_write and not since rewritten by the library
   * while unpinned (semantics.md §3).
   * Replaced, never mutated, so snapshots and abstractions may share it. */
  rawWritten: ReadonlySet<Ref> = NO_REFS;
  /** The real guest library this domain runs (config.profiles; absent: strict), and its state
   * as the model states it, rebuilt after each call into it (so abstraction can share it). */
  profile: ProfileLib | undefined;
  profileState: GuestLibState | undefined;
  /** The backend driver this domain runs, from its first backend_map that reached the
   * hypervisor (docs/semantics.md §19), and its state as the model states it (rebuilt after
   * each backend call, so abstraction can share it). */
  backend: BackendLib | undefined;
  backendState: BackendState | undefined;

  constructor(
    readonly dom: DomId,
    /** This domain's shared entries. */
    readonly memory: SharedGrantMemory,
    /** The table's frame count as Xen reports it (what Linux learns from GNTTABOP_query_size
     * and its own setup_table calls): asked of the hypervisor's table on every call. */
    private readonly nrGrantFrames: () => number,
    /** Entries per frame (GREFS_PER_GRANT_FRAME for v1). */
    private readonly entriesPerFrame: number,
  ) {}

  /** nr_grant_frames * entries per frame: the refs the library may touch. */
  nrEntries(): number {
    return this.nrGrantFrames() * this.entriesPerFrame;
  }

  /** A ref the library refuses outright: reserved, or beyond the table. */
  refusesRef(ref: Ref): boolean {
    return ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= this.nrEntries();
  }

  /** After a call into the profile library: its abstract state anew. */
  refreshProfile(): void {
    this.profileState = this.profile === undefined ? undefined : abstractGuest(this.profile);
  }

  /** After a backend call: its abstract state anew. */
  refreshBackend(): void {
    this.backendState = this.backend?.abstract();
  }

  markRawWritten(ref: Ref): void {
    if (this.rawWritten.has(ref)) return;
    this.rawWritten = new Set([...this.rawWritten, ref]);
  }

  /** The library wrote the entry while Xen held no pin on it: its contents are the library's
   * again (the model's writeEntry). */
  unmarkRawWritten(ref: Ref): void {
    if (!this.rawWritten.has(ref)) return;
    this.rawWritten = new Set([...this.rawWritten].filter((r) => r !== ref));
  }
}

/** An entry the library may (re)grant: invalid and not pinned, or a finished transfer. */
export function isReusable(flags: number): boolean {
  const type = flags & GTF_type_mask;
  if (type === GTF_invalid) return (flags & (GTF_reading | GTF_writing)) === 0;
  const finished = GTF_transfer_committed | GTF_transfer_completed;
  return type === GTF_accept_transfer && (flags & finished) === finished;
}
