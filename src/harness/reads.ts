// The parts of the state an invariant may read, named, so the checker can tell which changed in
// a step, and in which domain, and re-run only the invariants (or, for a per-domain invariant,
// only the domains) that read them. On the model side a part is an immutable object (compared
// by identity: the model shares what a step did not change); on the impl side it is a
// structure's content version (src/impl/version.ts) or a replaced-not-mutated map.

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
  'contents',
  'flows',
  'guest',
  'backend',
] as const;

export type ReadName = (typeof READ_NAMES)[number];

const READ_INDEX = Object.fromEntries(READ_NAMES.map((name, i) => [name, i])) as Record<
  ReadName,
  number
>;

/** One value per part and domain, flat: part p of domain d at `p * domains + d`. `frames`,
 * `contents` and `flows`, which belong to the whole system, are kept at domain 0. */
export interface Reads {
  readonly domains: number;
  readonly values: readonly unknown[];
}

// Where each part's row starts in Reads.values, for n domains.
const ENTRIES = READ_INDEX.entries;
const ACTIVE = READ_INDEX.active;
const GRANT_FRAMES = READ_INDEX.grantFrames;
const MAPTRACK = READ_INDEX.maptrack;
const RAW_WRITTEN = READ_INDEX.rawWritten;
const P2M = READ_INDEX.p2m;
const HOST_MAPPINGS = READ_INDEX.hostMappings;
const TOT_PAGES = READ_INDEX.totPages;
const FRAMES = READ_INDEX.frames;
const CONTENTS = READ_INDEX.contents;
const FLOWS = READ_INDEX.flows;
const GUEST = READ_INDEX.guest;
const BACKEND = READ_INDEX.backend;

export function modelReads(s: ModelState): Reads {
  const ds = s.domains;
  const n = ds.length;
  const v = new Array<unknown>(READ_NAMES.length * n);
  for (let i = 0; i < n; i++) {
    const d = ds[i];
    if (d === undefined) continue;
    v[ENTRIES * n + i] = d.grantTable.entries;
    v[ACTIVE * n + i] = d.grantTable.active;
    v[GRANT_FRAMES * n + i] = d.grantTable.nrFrames;
    v[MAPTRACK * n + i] = d.maptrack;
    v[RAW_WRITTEN * n + i] = d.rawWritten;
    v[P2M * n + i] = d.p2m;
    v[HOST_MAPPINGS * n + i] = d.hostMappings;
    v[TOT_PAGES * n + i] = d.totPages;
    v[GUEST * n + i] = d.guest;
    v[BACKEND * n + i] = d.backend;
  }
  v[FRAMES * n] = s.frameOwner;
  v[CONTENTS * n] = s.contents;
  v[FLOWS * n] = s.flow;
  return { domains: n, values: v };
}

export function implReads(system: GrantSystem): Reads {
  const ds = system.xen.domains;
  const n = ds.length;
  const v = new Array<unknown>(READ_NAMES.length * n);
  for (let i = 0; i < n; i++) {
    const d = ds[i];
    if (d === undefined) continue;
    v[ENTRIES * n + i] = d.grantTable.shared.version;
    v[ACTIVE * n + i] = d.grantTable.active.version;
    v[GRANT_FRAMES * n + i] = d.grantTable.nrGrantFrames;
    v[MAPTRACK * n + i] = d.maptrack.version;
    v[RAW_WRITTEN * n + i] = system.guests[i]?.rawWritten;
    v[P2M * n + i] = d.p2m;
    v[HOST_MAPPINGS * n + i] = d.pageTable;
    v[TOT_PAGES * n + i] = d.totPages;
    v[GUEST * n + i] = system.guests[i]?.profileState;
    v[BACKEND * n + i] = system.guests[i]?.backendState;
  }
  v[FRAMES * n] = system.xen.frames.pagesVersion; // owners and reference counts
  v[CONTENTS * n] = system.xen.frames.contentsVersion;
  v[FLOWS * n] = system.xen.frames.ghostVersion; // the ghost labels and permits
  return { domains: n, values: v };
}

/** Which parts changed between two steps, per domain. */
export class ChangedReads {
  /** Everything changed: there is no previous step to compare with. */
  static readonly ALL = new ChangedReads(READ_NAMES.map(() => ~0));
  /** Nothing changed (most steps: a refused op, a read). */
  static readonly NONE = new ChangedReads(READ_NAMES.map(() => 0));

  /** Bit p: part p changed in some domain (READ_NAMES has fewer than 32 parts). */
  readonly partsMask: number;

  /** Bit d of masks[p]: part p of domain d changed (a config has at most 16 domains). */
  private constructor(private readonly masks: readonly number[]) {
    let parts = 0;
    for (let p = 0; p < masks.length; p++) if ((masks[p] ?? 0) !== 0) parts |= 1 << p;
    this.partsMask = parts;
  }

  static between(previous: Reads | undefined, now: Reads): ChangedReads {
    if (!previous || previous.domains !== now.domains) return ChangedReads.ALL;
    const n = now.domains;
    const before = previous.values;
    const after = now.values;
    let first = 0; // most steps change nothing: find the first difference before allocating
    while (first < after.length && before[first] === after[first]) first++;
    if (first === after.length) return ChangedReads.NONE;
    const masks = new Array<number>(READ_NAMES.length).fill(0);
    for (let i = first; i < after.length; i++) {
      if (before[i] === after[i]) continue;
      const part = Math.floor(i / n);
      masks[part] = (masks[part] ?? 0) | (1 << (i % n));
    }
    return new ChangedReads(masks);
  }

  /** The same as `between(modelReads(previous), modelReads(now))`, read from the two model
   * states directly, without building either list: most steps change one domain or none. */
  static betweenStates(previous: ModelState | undefined, now: ModelState): ChangedReads {
    if (!previous || previous.domains.length !== now.domains.length) return ChangedReads.ALL;
    if (previous === now) return ChangedReads.NONE;
    // One mask per part, in locals: this runs after every step that changed the model.
    let entries = 0;
    let active = 0;
    let grantFrames = 0;
    let maptrack = 0;
    let rawWritten = 0;
    let p2m = 0;
    let hostMappings = 0;
    let totPages = 0;
    let guest = 0;
    let backend = 0;
    const n = now.domains.length;
    for (let i = 0; i < n; i++) {
      const a = previous.domains[i];
      const b = now.domains[i];
      if (a === b) continue;
      const bit = 1 << i;
      if (a?.grantTable.entries !== b?.grantTable.entries) entries |= bit;
      if (a?.grantTable.active !== b?.grantTable.active) active |= bit;
      if (a?.grantTable.nrFrames !== b?.grantTable.nrFrames) grantFrames |= bit;
      if (a?.maptrack !== b?.maptrack) maptrack |= bit;
      if (a?.rawWritten !== b?.rawWritten) rawWritten |= bit;
      if (a?.p2m !== b?.p2m) p2m |= bit;
      if (a?.hostMappings !== b?.hostMappings) hostMappings |= bit;
      if (a?.totPages !== b?.totPages) totPages |= bit;
      if (a?.guest !== b?.guest) guest |= bit;
      if (a?.backend !== b?.backend) backend |= bit;
    }
    const frames = previous.frameOwner !== now.frameOwner ? 1 : 0;
    const contents = previous.contents !== now.contents ? 1 : 0;
    const flows = previous.flow !== now.flow ? 1 : 0;
    const any =
      entries |
      active |
      grantFrames |
      maptrack |
      rawWritten |
      p2m |
      hostMappings |
      totPages |
      guest |
      backend;
    if ((any | frames | contents | flows) === 0) return ChangedReads.NONE;
    return new ChangedReads([
      entries,
      active,
      grantFrames,
      maptrack,
      rawWritten,
      p2m,
      hostMappings,
      totPages,
      frames,
      contents,
      flows,
      guest,
      backend,
    ]); // READ_NAMES' order
  }

  /** Everything counts as changed (the first step, or no memoisation). */
  get all(): boolean {
    return this === ChangedReads.ALL;
  }

  /** Nothing changed. */
  get none(): boolean {
    return this === ChangedReads.NONE;
  }

  /** Bit d set: some part in `names` changed in domain d (bit 0 also for `frames`). */
  domains(names: readonly ReadName[]): number {
    return this.domainsAt(partIndices(names));
  }

  /** The same for parts given by index (partIndices). */
  domainsAt(parts: readonly number[]): number {
    let mask = 0;
    for (let i = 0; i < parts.length; i++) mask |= this.masks[parts[i] ?? 0] ?? 0;
    return mask;
  }
}

/** The indices of the parts named (for ChangedReads.domainsAt). */
export function partIndices(names: readonly ReadName[]): readonly number[] {
  return names.map((name) => READ_INDEX[name]);
}
