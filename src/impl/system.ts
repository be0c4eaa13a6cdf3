// The concrete system under test: Xen's hypervisor state plus one guest library per domain,
// driven op by op. apply() is the entry point the sequential harness calls (the op's sequential
// twin, ./sequential.ts); steps() runs the same op pausing at every shared-entry access and Xen
// lock (./steps.ts, ./opSteps.ts), for the interleaving engine;
// snapshot()/restore() let an explorer return to any state cheaply (typed arrays copied,
// immutable maps shared).

import { BackendLib, type BackendSnapshot } from './guest/backend/backend.ts';
import type { GrantConfig } from '../config.ts';
import type { DomId, Gfn, Mfn, Op, Ref } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { SHGNT_PER_PAGE_V1 } from '../xen/abi.ts';
import { GuestLib } from './guest/guestLib.ts';
import type { DomDying, GrantPte } from './hypervisor/domain.ts';
import { createProfileLib } from './guest/profiles/index.ts';
import type { SavedProfileLib } from './guest/profiles/library.ts';
import type { SavedActiveEntries } from './hypervisor/grantTable.ts';
import { Hypervisor } from './hypervisor/hypervisor.ts';
import type { MaptrackSnapshot } from './hypervisor/maptrack.ts';
import type { SavedFrameTable } from './hypervisor/mm.ts';
import type { ImplParts } from './parts.ts';
import { DEFAULT_PARTS } from './parts.ts';
import type { SavedSharedMemory } from './sharedMemory.ts';
import { opSteps } from './opSteps.ts';
import { opSteps as runOp } from '../sequential.gen/impl/opSteps.ts';
import type { Steps } from './steps.ts';

interface DomainSnapshot {
  readonly shared: SavedSharedMemory;
  readonly active: SavedActiveEntries;
  readonly maptrack: MaptrackSnapshot;
  readonly totPages: number;
  readonly p2m: ReadonlyMap<Gfn, Mfn>;
  readonly pageTable: ReadonlyMap<number, GrantPte>;
  readonly rawWritten: ReadonlySet<Ref>;
  readonly isDying: DomDying;
  readonly destroyed: boolean;
  readonly profile?: SavedProfileLib;
  readonly backend?: BackendSnapshot;
}

/** An opaque saved state of one GrantSystem (restore it only into a system of the same config). */
export interface ImplSnapshot {
  readonly kind: 'impl-snapshot';
  readonly domains: readonly DomainSnapshot[];
  readonly frames: SavedFrameTable;
}

/** The defaults, with the given pieces replaced (undefined entries are ignored); DEFAULT_PARTS
 * itself when none is (so sequentialParts finds its table at once, not by comparing parts). */
export function withParts(parts: Partial<ImplParts> = {}): ImplParts {
  let merged: Record<string, unknown> | undefined;
  for (const name of Object.keys(parts) as (keyof ImplParts)[]) {
    const fn = parts[name];
    if (fn !== undefined) (merged ??= { ...DEFAULT_PARTS })[name] = fn;
  }
  return merged === undefined ? DEFAULT_PARTS : (merged as unknown as ImplParts);
}

function backendSnapshot(guest: GuestLib): { backend?: BackendSnapshot } {
  return guest.backend === undefined ? {} : { backend: guest.backend.save() };
}

function profileSnapshot(guest: GuestLib): { profile?: SavedProfileLib } {
  return guest.profile === undefined ? {} : { profile: guest.profile.save() };
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
      const guest = new GuestLib(d.id, gt.shared, () => gt.nrGrantFrames, SHGNT_PER_PAGE_V1);
      guest.profile = createProfileLib(
        config,
        d.id,
        gt.shared,
        (gfn) => d.p2m.has(gfn),
        this.parts,
      );
      guest.refreshProfile();
      return guest;
    });
  }

  guest(dom: DomId): GuestLib {
    const g = this.guests[dom];
    if (g === undefined) throw new Error(`no guest d${dom}`);
    return g;
  }

  /** Run one op to its end: the sequential twin of its steps (./sequential.ts), called here
   * directly (one call less per op on the raw path). */
  apply(op: Op): OpResult {
    return runOp(this, op);
  }

  /** Run one op step by step: it pauses before each shared-entry access and Xen lock op. */
  steps(op: Op): Steps<OpResult> {
    return opSteps(this, op);
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
        isDying: d.isDying,
        destroyed: d.destroyed,
        ...profileSnapshot(this.guest(i)),
        ...backendSnapshot(this.guest(i)),
      };
    });
    return { kind: 'impl-snapshot', domains, frames: this.xen.frames.save() };
  }

  /** Would restore(snapshot) change nothing? Every versioned table at the saved version, every
   * replaced-not-mutated part the saved object, and no guest profile or backend (their saved
   * copies carry no version: a system with one answers false). */
  holds(snapshot: ImplSnapshot): boolean {
    const domains = this.xen.domains;
    if (snapshot.domains.length !== domains.length) return false;
    for (let i = 0; i < domains.length; i++) {
      const d = domains[i];
      const s = snapshot.domains[i];
      const guest = this.guests[i];
      if (d === undefined || s === undefined || guest === undefined) return false;
      const gt = d.grantTable;
      if (
        gt.shared.version !== s.shared.version ||
        gt.active.version !== s.active.version ||
        d.maptrack.version !== s.maptrack.version ||
        d.totPages !== s.totPages ||
        d.p2m !== s.p2m ||
        d.pageTable !== s.pageTable ||
        guest.rawWritten !== s.rawWritten ||
        d.isDying !== s.isDying ||
        d.destroyed !== s.destroyed ||
        guest.profile !== undefined ||
        s.profile !== undefined ||
        guest.backend !== undefined ||
        s.backend !== undefined
      ) {
        return false;
      }
    }
    const frames = this.xen.frames;
    return (
      frames.version === snapshot.frames.version &&
      frames.contentsVersion === snapshot.frames.contentsVersion
    );
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
      const guest = this.guest(i);
      guest.rawWritten = s.rawWritten;
      if (guest.profile !== undefined && s.profile !== undefined) {
        guest.profile.load(s.profile);
        guest.refreshProfile();
      }
      if (s.backend === undefined) guest.backend = undefined;
      else (guest.backend ??= new BackendLib(i)).load(s.backend);
      guest.refreshBackend();
      d.isDying = s.isDying;
      d.destroyed = s.destroyed;
    }
    this.xen.frames.load(snapshot.frames);
  }
}
