// Symmetry over domain ids (docs/explore.md, "Domain-id symmetry"): at three domains or more,
// the unprivileged domains 1..D-1 of the explorer's configuration are alike, so renaming them
// (with their machine frames) maps reachable states to reachable states, and a search may keep
// one state of each orbit. Domain 0 is the control domain (privileged: destroy_domain and the
// query of another's table are its own) and stays where it is.
//
// A renaming π moves domain d to π(d) and, with it, every MFN d was given at start:
// σ(MFN_BASE + d·P + g) = MFN_BASE + π(d)·P + g (configDefaults.ts initialMfn). No step
// allocates a frame (transfers move them, a failed one frees it), so σ is one fixed bijection,
// and it fixes the initial state. Where a state names a domain or an MFN, the renamed state names
// π's or σ's image: shared entries (domid, and frame when it is an MFN: a completed transfer's),
// active entries (grantee, mfn), maptrack entries (granter), host mappings and p2m values (mfn),
// the frame owners and contents (by MFN), backends (frontend), the flow ghost (labels and
// permits) and the collected-transfer ghost (its bit per domain and ref).
//
// When is that sound? When every step, every action set and every invariant commutes with the
// renaming. The model names domains and MFNs by equality only (docs/explore.md lists the places
// that do arithmetic on them, all equivariant under σ), and `domainPermutations` gives no
// renaming where a configuration or an op family treats the domains apart:
// - a PV configuration (a PV guest's gfns are MFNs: the alphabet's literal gfns would not be
//   closed under σ);
// - per-domain guest profiles;
// - `hostile_writes`, whose raw write names the cyclic successor (d+1) mod D.
// test/unit/xenExplore/domainSymmetry.test.ts checks the equivariance over random walks, and that
// a search with the symmetry finds exactly the orbits of the search without it.

import type { GrantConfig } from '../config.ts';
import { MFN_BASE } from '../configDefaults.ts';
import { labelMover, labelOrigin, flowLabel, MAX_FLOW_DOMAINS } from '../model/flow.ts';
import type { FlowGhost } from '../model/flow.ts';
import { IntMapBuilder } from '../model/intMap.ts';
import type { StateKeyPacker } from '../model/packedKey.ts';
import type {
  ActiveGrant,
  BackendState,
  DomainState,
  GrantMapping,
  HostMapping,
  ModelState,
  SharedEntry,
} from '../model/state.ts';
import type { DomId, Mfn } from '../ops/op.ts';
import type { XenBounds, XenExtension } from './bounds.ts';

/** One renaming of domains (and of their initial MFNs): `dom[d]` is d's image. */
export class DomainPermutation {
  constructor(
    /** Image of each domain id 0..D-1 (dom[0] = 0). */
    readonly dom: readonly number[],
    private readonly pagesPerDomain: number,
  ) {}

  /** A domain id's image: ids outside 0..D-1 (a bad domid, DOMID_SELF) stay as they are. */
  domain(d: number): number {
    return d >= 0 && d < this.dom.length ? (this.dom[d] ?? d) : d;
  }

  /** An MFN's image: the frame a renamed domain was given at the same index (σ); a number that
   * is no domain's initial frame stays as it is. */
  mfn(m: number): number {
    const i = m - MFN_BASE;
    const n = this.pagesPerDomain;
    if (i < 0 || i >= n * this.dom.length) return m;
    const d = Math.floor(i / n);
    return MFN_BASE + (this.dom[d] ?? d) * n + (i - d * n);
  }

  /** The inverse renaming. */
  inverse(): DomainPermutation {
    const inv = new Array<number>(this.dom.length);
    this.dom.forEach((to, from) => (inv[to] = from));
    return new DomainPermutation(inv, this.pagesPerDomain);
  }
}

/**
 * The renamings the model may quotient by: every permutation of domains 1..D-1 but the identity
 * (none below three domains, or where the configuration or an op family tells the domains apart;
 * the file's header says which).
 */
export function domainPermutations(
  config: GrantConfig,
  extensions: readonly XenExtension[] = [],
): DomainPermutation[] {
  const n = config.domains;
  if (n < 3 || config.pv === true || config.profiles !== undefined) return [];
  if (extensions.includes('hostile_writes')) return [];
  const out: DomainPermutation[] = [];
  const rest = Array.from({ length: n - 1 }, (_, i) => i + 1);
  for (const order of permutations(rest)) {
    if (order.every((d, i) => d === i + 1)) continue;
    out.push(new DomainPermutation([0, ...order], config.pagesPerDomain));
  }
  return out;
}

function permutations(xs: readonly number[]): number[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) =>
    permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]),
  );
}

// --- Renaming a state ---------------------------------------------------------------------------

function renameMap<V>(
  map: ReadonlyMap<number, V>,
  key: (k: number) => number,
  value: (v: V) => V,
): ReadonlyMap<number, V> {
  const out = new Map<number, V>();
  for (const [k, v] of map) out.set(key(k), value(v));
  return out;
}

const same = (x: number): number => x;

/** A shared entry: its domid, and its frame when that is an MFN (a completed transfer's; the
 * explorer's gfns are small numbers, below MFN_BASE, which σ fixes). */
function renameEntry(e: SharedEntry, p: DomainPermutation): SharedEntry {
  const domid = p.domain(e.domid);
  const frame = p.mfn(e.frame);
  return domid === e.domid && frame === e.frame ? e : { ...e, domid, frame };
}

function renameActive(a: ActiveGrant, p: DomainPermutation): ActiveGrant {
  return { ...a, grantee: p.domain(a.grantee), mfn: p.mfn(a.mfn) };
}

function renameMapping(m: GrantMapping, p: DomainPermutation): GrantMapping {
  const granter = p.domain(m.granter);
  return granter === m.granter ? m : { ...m, granter };
}

function renameBackend(
  b: BackendState | undefined,
  p: DomainPermutation,
): BackendState | undefined {
  if (b === undefined) return undefined;
  return {
    requests: renameMap(b.requests, same, (r) => ({ ...r, frontend: p.domain(r.frontend) })),
  };
}

/** Domain `d` as domain p(d.id) (its slot in the renamed state). A guest library's gfns are a
 * non-PV guest's own (no renaming applies to a configuration with profiles or PV guests). */
export function renameDomain(d: DomainState, p: DomainPermutation): DomainState {
  const gt = d.grantTable;
  const mappings = new IntMapBuilder<GrantMapping>();
  for (const [h, m] of d.maptrack.mappings) mappings.set(h, renameMapping(m, p));
  return {
    ...d,
    id: p.domain(d.id),
    p2m: renameMap(d.p2m, same, (m: Mfn) => p.mfn(m)),
    grantTable: {
      ...gt,
      entries: renameMap(gt.entries, same, (e) => renameEntry(e, p)),
      active: renameMap(gt.active, same, (a) => renameActive(a, p)),
    },
    maptrack: { ...d.maptrack, mappings: mappings.build() },
    hostMappings: renameMap(d.hostMappings, same, (h: HostMapping) => ({
      ...h,
      mfn: p.mfn(h.mfn),
    })),
    backend: renameBackend(d.backend, p),
  };
}

export function renameFrameOwner(
  owners: ModelState['frameOwner'],
  p: DomainPermutation,
): ModelState['frameOwner'] {
  return renameMap(
    owners,
    (m) => p.mfn(m),
    (d: DomId) => p.domain(d),
  );
}

export function renameContents(
  contents: ModelState['contents'],
  p: DomainPermutation,
): ModelState['contents'] {
  return renameMap(
    contents,
    (m) => p.mfn(m),
    (c) => c,
  );
}

/** The flow ghost: labels by renamed frame, each label's origin frame and mover renamed (sorted
 * again), permits by renamed frame with each domain's bits moved to its image. */
export function renameFlow(
  flow: FlowGhost | undefined,
  p: DomainPermutation,
): FlowGhost | undefined {
  if (flow === undefined) return undefined;
  const label = (l: number): number => {
    const origin = labelOrigin(l);
    return flowLabel(origin < 0 ? origin : p.mfn(origin), p.domain(labelMover(l)));
  };
  const labels = renameMap(
    flow.labels,
    (m) => p.mfn(m),
    (ls: readonly number[]) => ls.map(label).sort((x, y) => x - y),
  );
  const permits = renameMap(
    flow.permits,
    (m) => p.mfn(m),
    (bits: number) => {
      let out = 0;
      for (let d = 0; d < MAX_FLOW_DOMAINS; d++) {
        const to = p.domain(d);
        if (to >= MAX_FLOW_DOMAINS) continue;
        if ((bits >>> d) & 1) out |= 1 << to;
        if ((bits >>> (MAX_FLOW_DOMAINS + d)) & 1) out |= 1 << (MAX_FLOW_DOMAINS + to);
      }
      return out >>> 0;
    },
  );
  return { labels, permits };
}

/** The collected-transfer ghost (state.ts collectedBit: bit dom·R + (ref - FIRST_REF)). */
export function renameCollected(collected: number, b: XenBounds, p: DomainPermutation): number {
  let out = 0;
  for (let d = 0; d < b.domains; d++) {
    for (let r = 0; r < b.refs; r++) {
      const bit = 2 ** (d * b.refs + r);
      if (Math.floor(collected / bit) % 2 === 1) out += 2 ** (p.domain(d) * b.refs + r);
    }
  }
  return out;
}

/** The whole state renamed (tests, and the `symmetry` representative). */
export function renameModelState(m: ModelState, p: DomainPermutation): ModelState {
  const domains = new Array<DomainState>(m.domains.length);
  for (const d of m.domains) domains[p.domain(d.id)] = renameDomain(d, p);
  return {
    domains,
    frameOwner: renameFrameOwner(m.frameOwner, p),
    contents: renameContents(m.contents, p),
    flow: renameFlow(m.flow, p),
  };
}

// --- Keys of orbits -----------------------------------------------------------------------------

/** Per renaming and domain slot, the renamed id of each domain id (id + 1; 0: not known yet). */
function grown(table: Int32Array, id: number): Int32Array {
  if (id < table.length) return table;
  const out = new Int32Array(Math.max(id + 1, table.length * 2, 256));
  out.set(table);
  return out;
}

/**
 * The least key over a state's orbit under the renamings, from the state's own key in `packer`.
 * Why from the key? A domain's renamed part depends on that part and the renaming alone, so each
 * (renaming, slot, domain id) is renamed and numbered once, and after that a renamed key is a few
 * table reads: no state is built per successor. The search keeps the orbit's least key; its
 * decoded state is that member.
 */
export class DomainOrbitKeys {
  private readonly tuple: number[];
  private readonly renamed: number[];
  private readonly domainTables: Int32Array[][];
  private readonly globalTables: Int32Array[];
  /** The renaming that gave `canonical`'s last answer (-1: none, the key itself). */
  lastRenaming = -1;

  constructor(
    private readonly packer: StateKeyPacker,
    readonly renamings: readonly DomainPermutation[],
    private readonly bounds: XenBounds,
  ) {
    const n = packer.domains;
    this.tuple = new Array<number>(n + 1).fill(0);
    this.renamed = new Array<number>(n + 1).fill(0);
    this.domainTables = renamings.map(() => Array.from({ length: n }, () => new Int32Array(0)));
    this.globalTables = renamings.map(() => new Int32Array(0));
  }

  /** The key of the state keyed `key` renamed by renamings[r]. Every domain id of `key` must
   * have its object in the packer (`StateKeyPacker.hasDomainObjects`). */
  renamedKey(key: number, r: number): number {
    const p = this.renamings[r] as DomainPermutation;
    const t = this.tuple;
    const out = this.renamed;
    this.packer.keyTuple(key, t);
    const g = t[0] ?? 0;
    let globals = this.globalTables[r] as Int32Array;
    let to = globals[g] ?? 0;
    if (to === 0) {
      const { extra, frameOwner, contents } = this.packer.globalParts(g);
      to =
        this.packer.globalIdOf(
          renameCollected(extra, this.bounds, p),
          renameFrameOwner(frameOwner, p),
          renameContents(contents, p),
        ) + 1;
      globals = grown(globals, g);
      globals[g] = to;
      this.globalTables[r] = globals;
    }
    out[0] = to - 1;
    const tables = this.domainTables[r] as Int32Array[];
    for (let i = 0; i < this.packer.domains; i++) {
      const id = t[i + 1] ?? 0;
      let table = tables[i] as Int32Array;
      let renamedId = table[id] ?? 0;
      const slot = p.domain(i);
      if (renamedId === 0) {
        const d = this.packer.domainObject(i, id);
        if (d === undefined) throw new RangeError(`domain symmetry: no object for domain id ${id}`);
        renamedId = this.packer.domainIdIn(slot, renameDomain(d, p)) + 1;
        table = grown(table, id);
        table[id] = renamedId;
        tables[i] = table;
      }
      out[slot + 1] = renamedId - 1;
    }
    return this.packer.keyOfTuple(out);
  }

  /** The least key of `key`'s orbit; `lastRenaming` says which renaming gave it. */
  canonical(key: number): number {
    let best = key;
    this.lastRenaming = -1;
    for (let r = 0; r < this.renamings.length; r++) {
      const k = this.renamedKey(key, r);
      if (k < best) {
        best = k;
        this.lastRenaming = r;
      }
    }
    return best;
  }

  /** The least fingerprint over `key`'s orbit: the same for every member, in every packer. */
  fingerprint(key: number): bigint {
    let best = this.packer.fingerprint(key);
    for (let r = 0; r < this.renamings.length; r++) {
      const f = this.packer.fingerprint(this.renamedKey(key, r));
      if (f < best) best = f;
    }
    return best;
  }

  /** Estimated bytes of the renaming tables. */
  get bytes(): number {
    let b = 0;
    for (const t of this.globalTables) b += t.byteLength;
    for (const ts of this.domainTables) for (const t of ts) b += t.byteLength;
    return b;
  }
}
