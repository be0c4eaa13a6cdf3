// The parts of the state an invariant may read, named, so the checker can tell which changed in
// a step and re-run only the invariants that read them. On the model side a part is an
// immutable object (compared by identity: the model shares what a step did not change); on the
// impl side it is a structure's content version (src/impl/version.ts) or a replaced-not-mutated
// map.

import type { GrantSystem } from '../impl/index.ts';
import type { ModelState } from '../model/state.ts';

export const READ_NAMES = [
  'entries',
  'active',
  'grantFrames',
  'maptrack',
  'rawWritten',
  'p2m',
  'hostMappings',
  'totPages',
  'frames',
] as const;

export type ReadName = (typeof READ_NAMES)[number];

/** One value per domain (or one for the whole system, for `frames`). */
export type Reads = Readonly<Record<ReadName, readonly unknown[]>>;

export function modelReads(s: ModelState): Reads {
  const ds = s.domains;
  return {
    entries: ds.map((d) => d.grantTable.entries),
    active: ds.map((d) => d.grantTable.active),
    grantFrames: ds.map((d) => d.grantTable.nrFrames),
    maptrack: ds.map((d) => d.maptrack),
    rawWritten: ds.map((d) => d.rawWritten),
    p2m: ds.map((d) => d.p2m),
    hostMappings: ds.map((d) => d.hostMappings),
    totPages: ds.map((d) => d.totPages),
    frames: [s.frameOwner],
  };
}

export function implReads(system: GrantSystem): Reads {
  const ds = system.xen.domains;
  return {
    entries: ds.map((d) => d.grantTable.shared.version),
    active: ds.map((d) => d.grantTable.active.version),
    grantFrames: ds.map((d) => d.grantTable.nrGrantFrames),
    maptrack: ds.map((d) => d.maptrack.version),
    rawWritten: system.guests.map((g) => g.rawWritten),
    p2m: ds.map((d) => d.p2m),
    hostMappings: ds.map((d) => d.pageTable),
    totPages: ds.map((d) => d.totPages),
    frames: [system.xen.frames.version],
  };
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The parts that differ between two steps' reads (all of them when there is no previous). */
export function changedReads(previous: Reads | undefined, now: Reads): ReadonlySet<ReadName> {
  const changed = new Set<ReadName>();
  for (const name of READ_NAMES) {
    if (!previous || !sameValues(previous[name], now[name])) changed.add(name);
  }
  return changed;
}
