// Maptrack handle symmetry: two states that differ only in which numbers their maptrack handles
// carry behave alike (a handle's number is only ever compared with the limit and looked up), so
// the search stores one representative: free list 0..n-1 in queue order, live handles n.. in
// the order of their mappings' contents. Without it the FIFO free list, rotated by every map,
// unmap and failed map, multiplies a tiny configuration's states by hundreds.

import { IntMapBuilder } from '../model/intMap.ts';
import { mappingKey } from '../model/key.ts';
import type { PartShortcut } from '../model/packedKey.ts';
import { finishWord, HASH_SEED, mappingHash, mixWord, sameMapping } from '../model/packedKey.ts';
import type { ModelState } from '../model/state.ts';
import { FreeList } from '../model/freeList.ts';
import { freeLists } from '../model/maptrack.ts';
import type { GrantMapping, Maptrack } from '../model/state.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';

/**
 * A renaming of every domain's handles: `perm[d][h]` is the new number of domain d's handle h;
 * null for a domain whose handles stay as they are. Handles at or beyond the limit are kept.
 */
export type Renaming = readonly (Int32Array | null)[];

/** Mapping contents in order, handle last. Why the vCPU? It is content (mappingKey has it): a
 * renaming cannot move a mapping to another vCPU's list, so two mappings that differ only by it
 * must not be ordered by their handles, or two states of one orbit get two representatives. */
function byContent(a: readonly [number, GrantMapping], b: readonly [number, GrantMapping]): number {
  const x = a[1];
  const y = b[1];
  return (
    x.granter - y.granter ||
    x.ref - y.ref ||
    x.flags - y.flags ||
    (x.vcpu ?? 0) - (y.vcpu ?? 0) ||
    a[0] - b[0]
  );
}

/**
 * A maptrack's key up to handle renaming: equal for two maptracks iff a renaming of handles
 * 0..limit-1 turns one into the other. Why is that these fields? A renaming keeps the limit, the
 * length of every free list (queue position i of list k goes to queue position i of list k) and
 * the multiset of mapping contents; conversely, equal fields give such a renaming. The key of the
 * canonical representative below (stateKey of canonicalState) identifies the same maptracks, at
 * the cost of building it; this one is a sort of a few short strings.
 */
export function maptrackOrbitKey(mt: Maptrack): string {
  let lists = `${mt.freeList.length}`;
  for (const l of mt.otherFreeLists ?? []) lists += `,${l.length}`;
  return `m${mt.limit}/${mt.maxFrames}[${lists}]{${sortedContents(mt.mappings)}}`;
}

/** The lengths of a maptrack's free lists, as far as the orbit key prints them. */
function sameListLengths(a: Maptrack, b: Maptrack): boolean {
  if (a.freeList.length !== b.freeList.length) return false;
  const ao = a.otherFreeLists ?? [];
  const bo = b.otherFreeLists ?? [];
  if (ao.length !== bo.length) return false;
  for (let i = 0; i < ao.length; i++) if (ao[i]?.length !== bo[i]?.length) return false;
  return true;
}

/** `sameContents`' scratch: `b`'s mappings in handle order (its `used` mask marks those matched). */
const matched: GrantMapping[] = [];

/** Equal multisets of mapping contents (equal `sortedContents` texts). Up to 31 mappings; false
 * beyond, which a shortcut may answer (the text decides). */
function sameContents(a: Maptrack['mappings'], b: Maptrack['mappings']): boolean {
  if (a === b) return true;
  const n = a.size;
  if (n !== b.size || n > 31) return false;
  matched.length = 0;
  for (const y of b.values()) matched.push(y);
  let used = 0;
  for (const x of a.values()) {
    let i = 0;
    while (i < n && ((used >>> i) & 1 || !sameMapping(x, matched[i] as GrantMapping))) i++;
    if (i === n) return false;
    used |= 1 << i;
  }
  return true;
}

/** The shortcut (src/model/packedKey.ts `PartShortcut`) to `maptrackOrbitKey`'s ids: the same
 * limit, free-list lengths and multiset of mapping contents, the fields the key prints. */
export const maptrackOrbitShortcut: PartShortcut<Maptrack> = {
  hash(mt) {
    let h = mixWord(mixWord(mixWord(HASH_SEED, mt.limit), mt.maxFrames), mt.freeList.length);
    for (const l of mt.otherFreeLists ?? []) h = mixWord(h, l.length);
    let sum = mt.mappings.size;
    for (const m of mt.mappings.values()) sum = (sum + finishWord(mappingHash(m))) | 0;
    return (h + sum) | 0;
  },
  same(a, b) {
    return (
      a === b ||
      (a.limit === b.limit &&
        a.maxFrames === b.maxFrames &&
        sameListLengths(a, b) &&
        sameContents(a.mappings, b.mappings))
    );
  },
};

/** The last mappings table sorted, and its text. Why? A failed map or a map of another kind
 * rotates the free list but shares the parent's mappings table: siblings sort it once. */
let lastMappings: Maptrack['mappings'] | undefined;
let lastContents = '';

function sortedContents(mappings: Maptrack['mappings']): string {
  if (mappings !== lastMappings) {
    const contents: string[] = [];
    for (const m of mappings.values()) contents.push(mappingKey(m));
    contents.sort();
    lastMappings = mappings;
    lastContents = contents.join(',');
  }
  return lastContents;
}

/** Already canonical: vCPU 0's free list is 0..n0-1, vCPU 1's n0..n0+n1-1 and so on, and the
 * live handles follow, in content order. */
function isCanonical(mt: Maptrack): boolean {
  let expect = 0;
  for (const list of freeLists(mt)) {
    const runs = list.ranges();
    if (list.length > 0 && (runs.length !== 1 || runs[0]?.[0] !== expect)) return false;
    expect += list.length;
  }
  let prev: readonly [number, GrantMapping] | undefined;
  for (const e of mt.mappings) {
    if (e[0] !== expect) return false;
    if (prev && byContent(prev, e) > 0) return false;
    prev = e;
    expect++;
  }
  return true;
}

/** Each maptrack's canonical renaming, once made. Why? Conformance asks for the renaming of
 * every parent it expands and every state it keeps, and the search's states share their
 * maptracks: 166 527 of the 187 564 asked for in the basic preset's first 60 000 states were
 * of a maptrack asked about before. */
const canonicalPerms = new WeakMap<Maptrack, Int32Array | null>();

/** The canonical renaming of one maptrack, or null when it is already canonical. */
function canonicalPerm(mt: Maptrack): Int32Array | null {
  let perm = canonicalPerms.get(mt);
  if (perm === undefined) {
    perm = makeCanonicalPerm(mt);
    canonicalPerms.set(mt, perm);
  }
  return perm;
}

function makeCanonicalPerm(mt: Maptrack): Int32Array | null {
  if (mt.limit === 0 || isCanonical(mt)) return null;
  // -1: not numbered yet. Why number the rest? A handle on no list and not live (none today)
  // must still go somewhere, or two handles would share a number.
  const perm = new Int32Array(mt.limit).fill(-1);
  let next = 0;
  for (const list of freeLists(mt)) {
    for (const [first, last] of list.ranges()) {
      for (let h = first; h <= last; h++) perm[h] = next++;
    }
  }
  const live = [...mt.mappings].sort(byContent);
  for (const [h] of live) perm[h] = next++;
  for (let h = 0; h < perm.length; h++) if (perm[h] === -1) perm[h] = next++;
  return perm;
}

export function canonicalRenaming(m: ModelState): Renaming | null {
  let any = false;
  const perms = m.domains.map((d) => {
    const p = canonicalPerm(d.maptrack);
    if (p) any = true;
    return p;
  });
  return any ? perms : null;
}

/** One free list renamed, in queue order. */
function renameList(list: FreeList, perm: Int32Array): FreeList {
  const handles: number[] = [];
  let ascending = true;
  for (const [first, last] of list.ranges()) {
    for (let h = first; h <= last; h++) {
      const to = perm[h] ?? h;
      if (to !== (handles[0] ?? to) + handles.length) ascending = false;
      handles.push(to);
    }
  }
  // Why the shortcut? Under the canonical renaming every list is one ascending run.
  const first = handles[0];
  if (first === undefined) return FreeList.EMPTY;
  return ascending ? FreeList.range(first, first + handles.length - 1) : FreeList.of(handles);
}

/** Every vCPU's free list and the live handles renamed (the vCPU of each entry is content). */
function renameMaptrack(mt: Maptrack, perm: Int32Array): Maptrack {
  const freeList = renameList(mt.freeList, perm);
  const mappings = new IntMapBuilder<GrantMapping>();
  for (const [h, mp] of mt.mappings) mappings.set(perm[h] ?? h, mp);
  const renamed = { ...mt, freeList, mappings: mappings.build() };
  if (mt.otherFreeLists === undefined) return renamed;
  return { ...renamed, otherFreeLists: mt.otherFreeLists.map((l) => renameList(l, perm)) };
}

export function renameState(m: ModelState, r: Renaming | null): ModelState {
  if (!r) return m;
  return {
    ...m,
    domains: m.domains.map((d, i) => {
      const p = r[i];
      return p ? { ...d, maptrack: renameMaptrack(d.maptrack, p) } : d;
    }),
  };
}

/** The state's canonical representative under handle renaming (itself when canonical). */
export function canonicalState(m: ModelState): ModelState {
  return renameState(m, canonicalRenaming(m));
}

function renamed(perm: Int32Array | null | undefined, h: number): number {
  return perm && h >= 0 && h < perm.length ? (perm[h] ?? h) : h;
}

export function renameOp(op: Op, r: Renaming | null): Op {
  if (!r || (op.kind !== 'unmap_grant_ref' && op.kind !== 'unmap_and_replace')) return op;
  const p = r[op.caller];
  if (!p) return op;
  // Two returns, one per op type: each keeps its own element type.
  if (op.kind === 'unmap_and_replace') return { ...op, batch: renameHandles(op.batch, p) };
  return { ...op, batch: renameHandles(op.batch, p) };
}

function renameHandles<T extends { readonly handle: number }>(
  batch: readonly T[],
  p: Int32Array,
): T[] {
  return batch.map((u) => ({ ...u, handle: renamed(p, u.handle) }));
}

export function renameResult(result: OpResult, caller: number, r: Renaming | null): OpResult {
  if (!r || result.kind !== 'map_grant_ref') return result;
  const p = r[caller];
  if (!p) return result;
  return {
    ...result,
    results: result.results.map((e) =>
      'handle' in e ? { ...e, handle: renamed(p, e.handle) } : e,
    ),
  };
}

export function invert(r: Renaming | null): Renaming | null {
  if (!r) return null;
  return r.map((p) => {
    if (!p) return null;
    const inv = new Int32Array(p.length);
    for (let h = 0; h < p.length; h++) inv[p[h] ?? h] = h;
    return inv;
  });
}

/** `second` after `first`: h -> second(first(h)); null where that is the identity. Why check?
 * Conformance renames the impl's whole state by the composition on every transition: the
 * identity, common when the explorer's state and the snapshot's agree, is worth knowing. */
export function compose(first: Renaming | null, second: Renaming | null): Renaming | null {
  if (!first) return second;
  if (!second) return first;
  let any = false;
  const out = first.map((p, d) => {
    const q = second[d];
    if (!p) return q ?? null;
    if (!q) return p;
    const r = new Int32Array(Math.max(p.length, q.length));
    let identity = true;
    for (let h = 0; h < r.length; h++) {
      const to = renamed(q, renamed(p, h));
      r[h] = to;
      if (to !== h) identity = false;
    }
    return identity ? null : r;
  });
  for (const p of out) if (p) any = true;
  return any ? out : null;
}
