// Canonical identity of model states: stateKey (equal states ⇔ equal keys, whatever the Map
// insertion order) for visited sets, and statesEqual, the cheap comparison run after every step.

import type { FreeList } from './freeList.ts';
import type {
  BackendState,
  DomainState,
  GuestLibState,
  ModelState,
  SharedEntry,
  ActiveGrant,
} from './state.ts';
import type { GrantMapping, HostMapping, Maptrack } from './state.ts';
import type { PageContents } from './contents.ts';

// --- stateKey ---------------------------------------------------------------------------------

function mapKey<V>(map: ReadonlyMap<number, V>, value: (v: V) => string): string {
  const keys = [...map.keys()].sort((x, y) => x - y);
  let out = '';
  for (const k of keys) {
    const v = map.get(k);
    if (v !== undefined) out += `${k}:${value(v)},`;
  }
  return out;
}

const num = (n: number): string => `${n}`;
const entryKey = (e: SharedEntry): string => `${e.flags}.${e.domid}.${e.frame}`;
const activeKey = (a: ActiveGrant): string =>
  `${a.grantee}.${a.mfn}.${a.hostWritable}.${a.hostReadonly}.${a.deviceWritable}.${a.deviceReadonly}`;
const mappingKey = (m: GrantMapping): string =>
  `${m.granter}.${m.ref}.${m.flags}${m.vcpu ? `.v${m.vcpu}` : ''}`;
const pteKey = (p: HostMapping): string => `${p.mfn}${p.writable ? 'w' : 'r'}`;
const pageKey = (p: PageContents): string => `[${p.key}]`;

/** The free list with ascending runs folded ("1-254,256-511,255"): a fresh frame is one run. */
function freeListKey(list: FreeList): string {
  return list
    .ranges()
    .map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`))
    .join(',');
}

/** vCPUs 1..'s lists, "[...]" each; nothing with one vCPU, so that one-vCPU keys are unchanged. */
function otherListsKey(mt: Maptrack): string {
  return (mt.otherFreeLists ?? []).map((list) => `[${freeListKey(list)}]`).join('');
}

/** A maptrack exactly: its limit, every free list in queue order, every mapping by handle. */
export function maptrackKey(mt: Maptrack): string {
  return `m${mt.limit}/${mt.maxFrames}[${freeListKey(mt.freeList)}]${otherListsKey(mt)}{${mapKey(mt.mappings, mappingKey)}}`;
}

/** Domain death (§17): nothing for a live domain, so live states keep their keys. */
function deathKey(d: DomainState): string {
  return d.death === undefined ? '' : d.death === 'zombie' ? ' Z' : ' X';
}

/** A guest library's state exactly (issue 14; absent for strict: ''), so that strict keys are
 * as they were. The driver ghosts are part of it: they decide what the driver may do next. */
export function guestKey(g: GuestLibState | undefined): string {
  if (g === undefined) return '';
  const deferred = g.deferred
    .map((d) => `${d.ref}${d.gfn === undefined ? '' : `@${d.gfn}`}/${d.warnDelay}/${d.idleTicks}`)
    .join(',');
  const pairs = (m: ReadonlyMap<number, number>): string => mapKey(m, num);
  const dropped = [...g.droppedPages].sort((x, y) => x - y).join(',');
  return (
    ` L${g.profile}/${g.size}/${g.budget}${g.contract ? '' : '!'} f[${g.free.join(',')}]` +
    ` q[${deferred}] w${g.warnings} x{${pairs(g.exports)}} G{${pairs(g.granted)}} P{${dropped}}`
  );
}

/** A backend driver's requests (docs/semantics.md §19); '' for a domain that never acted as one,
 * so that every other state's key is as before. */
export function backendKey(b: BackendState | undefined): string {
  if (b === undefined) return '';
  const requests = [...b.requests]
    .sort(([x], [y]) => x - y)
    .map(
      ([id, r]) =>
        `${id}:d${r.frontend}${r.readonly ? 'r' : 'w'}[${r.segments.map((s) => `${s.ref}@${s.handle}`).join(',')}]`,
    );
  return ` B{${requests.join(';')}}`;
}

/** The parts of a domain's key, each a function of one immutable sub-object of DomainState (or
 * of its scalars), so that a caller can cache each by object (src/model/packedKey.ts). */
export const domainKeyParts = {
  scalars: (d: DomainState): string =>
    `d${d.id}${d.privileged ? 'p' : ''}${d.pv ? 'v' : ''}${deathKey(d)} t${d.totPages}/${d.maxPages} va${d.hostVaPages}` +
    ` g${d.grantTable.nrFrames}/${d.grantTable.maxFrames}`,
  p2m: (p2m: DomainState['p2m']): string => `p2m{${mapKey(p2m, num)}}`,
  entries: (e: DomainState['grantTable']['entries']): string => `e{${mapKey(e, entryKey)}}`,
  active: (a: DomainState['grantTable']['active']): string => `a{${mapKey(a, activeKey)}}`,
  hostMappings: (h: DomainState['hostMappings']): string => `h{${mapKey(h, pteKey)}}`,
  rawWritten: (r: DomainState['rawWritten']): string =>
    `r{${[...r].sort((x, y) => x - y).join(',')}}`,
  guest: guestKey,
  backend: backendKey,
} as const;

function domainKey(d: DomainState): string {
  const gt = d.grantTable;
  const mt = d.maptrack;
  const raw = [...d.rawWritten].sort((x, y) => x - y).join(',');
  return (
    `d${d.id}${d.privileged ? 'p' : ''}${d.pv ? 'v' : ''}${deathKey(d)} t${d.totPages}/${d.maxPages} va${d.hostVaPages}` +
    ` p2m{${mapKey(d.p2m, num)}} g${gt.nrFrames}/${gt.maxFrames}` +
    ` e{${mapKey(gt.entries, entryKey)}} a{${mapKey(gt.active, activeKey)}}` +
    ` ${maptrackKey(mt)}` +
    ` h{${mapKey(d.hostMappings, pteKey)}} r{${raw}}${guestKey(d.guest)}${backendKey(d.backend)}`
  );
}

/** The parts of a state's key outside its domains. */
export const globalKeyParts = {
  frameOwner: (o: ModelState['frameOwner']): string => `o{${mapKey(o, num)}}`,
  contents: (c: ModelState['contents']): string => `c{${mapKey(c, pageKey)}}`,
} as const;

/** A canonical string of the whole state: equal states (whatever their Map insertion order)
 * have equal keys, and only they. Readable; src/model/packedKey.ts packs the same identity into
 * a number for exhaustive search. */
export function stateKey(state: ModelState): string {
  return (
    `${state.domains.map(domainKey).join('|')}|o{${mapKey(state.frameOwner, num)}}` +
    `c{${mapKey(state.contents, pageKey)}}`
  );
}

/** The mapping's fields as text (granter, ref, flags, vCPU): equal iff the mappings are. */
export { mappingKey };

// --- statesEqual ------------------------------------------------------------------------------

/** Equal maps, value for value by `same` (the part comparisons below; src/model/packedKey.ts's
 * shortcuts use them too). */
export function sameMap<V>(
  a: ReadonlyMap<number, V>,
  b: ReadonlyMap<number, V>,
  same: (x: V, y: V) => boolean,
): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (y === undefined || !same(x, y)) return false;
  }
  return true;
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

export const sameNumber = (x: number, y: number): boolean => x === y;
export const sameEntry = (x: SharedEntry, y: SharedEntry): boolean =>
  x === y || (x.flags === y.flags && x.domid === y.domid && x.frame === y.frame);
export const sameActiveGrant = (x: ActiveGrant, y: ActiveGrant): boolean =>
  x === y ||
  (x.grantee === y.grantee &&
    x.mfn === y.mfn &&
    x.hostWritable === y.hostWritable &&
    x.hostReadonly === y.hostReadonly &&
    x.deviceWritable === y.deviceWritable &&
    x.deviceReadonly === y.deviceReadonly);
export const sameMapping = (x: GrantMapping, y: GrantMapping): boolean =>
  x === y ||
  (x.granter === y.granter && x.ref === y.ref && x.flags === y.flags && x.vcpu === y.vcpu);
export const samePte = (x: HostMapping, y: HostMapping): boolean =>
  x === y || (x.mfn === y.mfn && x.writable === y.writable);
const samePage = (x: PageContents, y: PageContents): boolean => x === y || x.key === y.key;

/** With `ka` and `kb`, maptracks known to be equal, only the mappings whose handles changed
 * on either side since are compared (IntMap.everyChange): every other handle maps to what it
 * did in the known pair, where the two sides agreed. */
export function sameMaptrack(a: Maptrack, b: Maptrack, ka?: Maptrack, kb?: Maptrack): boolean {
  if (a === b) return true;
  if (a.limit !== b.limit || a.maxFrames !== b.maxFrames) return false;
  if (!a.freeList.equals(b.freeList)) return false;
  const ao = a.otherFreeLists ?? [];
  const bo = b.otherFreeLists ?? [];
  if (ao.length !== bo.length || ao.some((list, i) => !list.equals(bo[i] ?? list))) return false;
  if (ka === undefined || kb === undefined) return sameMap(a.mappings, b.mappings, sameMapping);
  const am = a.mappings;
  const bm = b.mappings;
  const agree = (h: number): boolean => {
    const x = am.get(h);
    const y = bm.get(h);
    return x === undefined || y === undefined ? x === y : sameMapping(x, y);
  };
  return ka.mappings.everyChange(am, agree) && kb.mappings.everyChange(bm, agree);
}

/** Two states already known to be equal: a part that both sides still share with them is equal
 * without being compared (states are immutable, and a step shares what it did not change). */
export interface EqualPair {
  readonly a: ModelState;
  readonly b: ModelState;
}

/** Did neither side change part `x` since the known-equal pair (`ka`, `kb`)? */
function knownEqual<T>(x: T, y: T, kx: T | undefined, ky: T | undefined): boolean {
  return x === kx && y === ky;
}

function sameDomain(a: DomainState, b: DomainState, ka?: DomainState, kb?: DomainState): boolean {
  if (a === b || knownEqual(a, b, ka, kb)) return true;
  const ga = a.grantTable;
  const gb = b.grantTable;
  const kga = ka?.grantTable;
  const kgb = kb?.grantTable;
  return (
    a.id === b.id &&
    a.privileged === b.privileged &&
    a.pv === b.pv &&
    a.death === b.death &&
    a.totPages === b.totPages &&
    a.maxPages === b.maxPages &&
    a.hostVaPages === b.hostVaPages &&
    ga.nrFrames === gb.nrFrames &&
    ga.maxFrames === gb.maxFrames &&
    (knownEqual(ga.entries, gb.entries, kga?.entries, kgb?.entries) ||
      sameMap(ga.entries, gb.entries, sameEntry)) &&
    (knownEqual(ga.active, gb.active, kga?.active, kgb?.active) ||
      sameMap(ga.active, gb.active, sameActiveGrant)) &&
    (knownEqual(a.maptrack, b.maptrack, ka?.maptrack, kb?.maptrack) ||
      sameMaptrack(a.maptrack, b.maptrack, ka?.maptrack, kb?.maptrack)) &&
    (knownEqual(a.hostMappings, b.hostMappings, ka?.hostMappings, kb?.hostMappings) ||
      sameMap(a.hostMappings, b.hostMappings, samePte)) &&
    (knownEqual(a.p2m, b.p2m, ka?.p2m, kb?.p2m) || sameMap(a.p2m, b.p2m, sameNumber)) &&
    (knownEqual(a.rawWritten, b.rawWritten, ka?.rawWritten, kb?.rawWritten) ||
      sameSet(a.rawWritten, b.rawWritten)) &&
    (a.guest === b.guest || guestKey(a.guest) === guestKey(b.guest)) &&
    (a.backend === b.backend || backendKey(a.backend) === backendKey(b.backend))
  );
}

/** Are two states equal? With `known`, a pair of states already found equal, only the parts
 * that changed on either side since are compared: the cost of a step's check follows what the
 * step changed, not the size of the state. */
export function statesEqual(a: ModelState, b: ModelState, known?: EqualPair): boolean {
  if (a === b) return true;
  if (a.domains.length !== b.domains.length) return false;
  for (let i = 0; i < a.domains.length; i++) {
    const da = a.domains[i];
    const db = b.domains[i];
    if (da === undefined || db === undefined) return false;
    if (!sameDomain(da, db, known?.a.domains[i], known?.b.domains[i])) return false;
  }
  return (
    (knownEqual(a.frameOwner, b.frameOwner, known?.a.frameOwner, known?.b.frameOwner) ||
      sameMap(a.frameOwner, b.frameOwner, sameNumber)) &&
    (knownEqual(a.contents, b.contents, known?.a.contents, known?.b.contents) ||
      sameMap(a.contents, b.contents, samePage))
  );
}
