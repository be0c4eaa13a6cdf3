// The concrete system under test: Xen's hypervisor state plus one guest library per domain,
// driven op by op. apply() is the entry point the sequential harness calls; steps() runs the same
// op pausing at every shared-entry access and Xen lock (./steps.ts), for the interleaving engine;
// snapshot()/restore() let an explorer return to any state cheaply (typed arrays copied,
// immutable maps shared).

import type { GrantConfig } from '../config.ts';
import type { DomId, Gfn, Mfn, Op, Ref, SwapGrantRefOp } from '../ops/op.ts';
import { unreachable } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { GNTST_okay, GNTTAB_NR_RESERVED_ENTRIES, SHGNT_PER_PAGE_V1 } from '../xen/abi.ts';
import { GuestLib } from './guest/guestLib.ts';
import { readMapped } from './guest/readMapped.ts';
import { readPage } from './guest/readPage.ts';
import { writeMapped } from './guest/writeMapped.ts';
import { writePage } from './guest/writePage.ts';
import type { GrantPte } from './hypervisor/domain.ts';
import type { SavedActiveEntries } from './hypervisor/grantTable.ts';
import { doGrantTableOp } from './hypervisor/grantTableOp.ts';
import { Hypervisor } from './hypervisor/hypervisor.ts';
import type { MaptrackSnapshot } from './hypervisor/maptrack.ts';
import type { SavedFrameTable } from './hypervisor/mm.ts';
import type { ImplParts } from './parts.ts';
import { DEFAULT_PARTS } from './parts.ts';
import type { SavedSharedMemory } from './sharedMemory.ts';
import type { Steps } from './steps.ts';
import { noPauses, runToEnd } from './steps.ts';

interface DomainSnapshot {
  readonly shared: SavedSharedMemory;
  readonly active: SavedActiveEntries;
  readonly maptrack: MaptrackSnapshot;
  readonly totPages: number;
  readonly p2m: ReadonlyMap<Gfn, Mfn>;
  readonly pageTable: ReadonlyMap<number, GrantPte>;
  readonly rawWritten: ReadonlySet<Ref>;
}

/** An opaque saved state of one GrantSystem (restore it only into a system of the same config). */
export interface ImplSnapshot {
  readonly kind: 'impl-snapshot';
  readonly domains: readonly DomainSnapshot[];
  readonly frames: SavedFrameTable;
}

/** The defaults, with the given pieces replaced (undefined entries are ignored). */
export function withParts(parts: Partial<ImplParts> = {}): ImplParts {
  const merged: Record<string, unknown> = { ...DEFAULT_PARTS };
  for (const [name, fn] of Object.entries(parts)) if (fn !== undefined) merged[name] = fn;
  return merged as unknown as ImplParts;
}

export class GrantSystem {
  readonly parts: ImplParts;
  /** Xen's state, for impl-side invariant checks: domains[d].grantTable (.shared, .active),
   * .maptrack, .totPages, .maxPages, .p2m, .pageTable; frames (owner, count, type count). */
  readonly xen: Hypervisor;
  /** One guest library per domain (its shared memory and rawWritten). */
  readonly guests: readonly GuestLib[];

  constructor(
    readonly config: GrantConfig,
    parts: Partial<ImplParts> = {},
  ) {
    this.parts = withParts(parts);
    const xen = new Hypervisor(config, this.parts);
    this.xen = xen;
    this.guests = xen.domains.map((d) => {
      const gt = d.grantTable;
      return new GuestLib(d.id, gt.shared, () => gt.nrGrantFrames, SHGNT_PER_PAGE_V1);
    });
  }

  guest(dom: DomId): GuestLib {
    const g = this.guests[dom];
    if (g === undefined) throw new Error(`no guest d${dom}`);
    return g;
  }

  /** Run one op to its end. */
  apply(op: Op): OpResult {
    return runToEnd(this.steps(op));
  }

  /** Run one op step by step: it pauses before each shared-entry access and Xen lock op. Why
   * not a generator? It would re-yield every pause of the op; handing back the op's own steps
   * (wrapped only where ghost bookkeeping follows) keeps apply() as fast as it can be. */
  steps(op: Op): Steps<OpResult> {
    const parts = this.parts;
    switch (op.kind) {
      case 'grant_access':
        return this.libraryWrote(op, parts.guestGrantAccess(this.guest(op.dom), op));
      case 'end_access':
        return this.libraryWrote(op, parts.guestEndAccess(this.guest(op.dom), op));
      case 'grant_transfer':
        return this.libraryWrote(op, parts.guestGrantTransfer(this.guest(op.dom), op));
      case 'end_transfer':
        return this.libraryWrote(op, parts.guestEndTransfer(this.guest(op.dom), op));
      case 'raw_write':
        return parts.guestRawWrite(this.guest(op.dom), op);
      case 'write_page':
        return noPauses(() => writePage(this.xen, op));
      case 'read_page':
        return noPauses(() => readPage(this.xen, op));
      case 'write_mapped':
        return noPauses(() => writeMapped(this.xen, op));
      case 'read_mapped':
        return noPauses(() => readMapped(this.xen, op));
      case 'map_grant_ref':
      case 'unmap_grant_ref':
      case 'transfer':
      case 'setup_table':
      case 'query_size':
      case 'unmap_and_replace':
      case 'copy':
        return doGrantTableOp(this.xen, op);
      case 'swap_grant_ref':
        return this.swapped(op, doGrantTableOp(this.xen, op));
      default:
        return unreachable(op);
    }
  }

  /** Ghost bookkeeping after a library call: one that wrote the entry while Xen held no pin
   * on it clears the raw-write mark (the model's writeEntry). */
  private *libraryWrote(
    op: Op & { readonly dom: DomId; readonly ref: Ref },
    steps: Steps<OpResult>,
  ): Steps<OpResult> {
    const result = yield* steps;
    const wrote =
      ('outcome' in result && (result.outcome === 'ok' || result.outcome === 'ended')) ||
      (result.kind === 'end_transfer' && result.outcome === 'cancelled');
    const domain = this.xen.domains[op.dom];
    if (wrote && domain && domain.grantTable.active.pinOf(op.ref) === 0) {
      this.guest(op.dom).unmarkRawWritten(op.ref);
    }
    return result;
  }

  /** Ghost bookkeeping after a swap (the model's swapGrantRef): each element that exchanged
   * two entries exchanges their raw-write marks too; a reserved ref that received an entry is
   * marked, since the library never writes there. */
  private *swapped(op: SwapGrantRefOp, steps: Steps<OpResult>): Steps<OpResult> {
    const result = yield* steps;
    if (result.kind !== 'swap_grant_ref') return result;
    const guest = this.guest(op.caller);
    for (const [i, status] of result.statuses.entries()) {
      const args = op.batch[i];
      if (status !== GNTST_okay || args === undefined || args.refA === args.refB) continue;
      const markedA = guest.rawWritten.has(args.refA);
      const markedB = guest.rawWritten.has(args.refB);
      for (const [ref, marked] of [
        [args.refA, markedB],
        [args.refB, markedA],
      ] as const) {
        if (marked || ref < GNTTAB_NR_RESERVED_ENTRIES) guest.markRawWritten(ref);
        else guest.unmarkRawWritten(ref);
      }
    }
    return result;
  }

  snapshot(): ImplSnapshot {
    const domains = this.xen.domains.map((d, i): DomainSnapshot => {
      const gt = d.grantTable;
      return {
        shared: gt.shared.save(),
        active: gt.active.save(),
        maptrack: d.maptrack.save(),
        totPages: d.totPages,
        p2m: d.p2m,
        pageTable: d.pageTable,
        rawWritten: this.guest(i).rawWritten,
      };
    });
    return { kind: 'impl-snapshot', domains, frames: this.xen.frames.save() };
  }

  restore(snapshot: ImplSnapshot): void {
    const domains = this.xen.domains;
    if (snapshot.domains.length !== domains.length) throw new Error('snapshot of another config');
    for (let i = 0; i < domains.length; i++) {
      const d = domains[i];
      const s = snapshot.domains[i];
      if (d === undefined || s === undefined) continue;
      const gt = d.grantTable;
      gt.shared.load(s.shared);
      gt.active = gt.active.loaded(s.active);
      d.maptrack.load(s.maptrack);
      d.totPages = s.totPages;
      d.p2m = s.p2m;
      d.pageTable = s.pageTable;
      this.guest(i).rawWritten = s.rawWritten;
    }
    this.xen.frames.load(snapshot.frames);
  }
}
