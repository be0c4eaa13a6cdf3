// The actions of the Xen-level search: which ops are issued in a state, under the bounds. Ops
// that every state shares are built once; unmaps name the live handles of the state.
// docs/explore.md, "The Xen-level model's bounds and alphabet", lists what is enumerated.

import type { GrantConfig } from '../config.ts';
import { pteAddress } from '../configDefaults.ts';
import {
  entryAt,
  isAcceptTransfer,
  isCommitted,
  isCompleted,
  isPermitAccess,
} from '../model/index.ts';
import { pinIncrement, wouldOverflow } from '../model/pins.ts';
import type { DomainState, ModelState } from '../model/state.ts';
import type {
  CopyArgs,
  CopyPtr,
  MapGrantRefOp,
  Op,
  OpKind,
  TransferOp,
  UnmapGrantRefArgs,
} from '../ops/op.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTPIN_COUNTER_LIMIT,
  GNTMAP_contains_pte,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_transfer_committed,
  GTF_writing,
  PAGE_SIZE,
  SHGNT_PER_PAGE_V1,
} from '../xen/abi.ts';
import type { XenBounds, XenExtension } from './bounds.ts';
import { BAD_HOST_ADDR, FIRST_REF, HOST_ADDR } from './bounds.ts';
import type { XenState } from './state.ts';
import { isCollected } from './state.ts';

interface MapChoice {
  readonly flags: number;
  readonly hostAddr: number;
  /** GNTMAP_contains_pte: host_addr is the caller's PTE of HOST_ADDR's page, plus this offset. */
  readonly pteOffset?: number;
}

const PROTOCOL_MAPS: readonly MapChoice[] = [
  { flags: GNTMAP_host_map, hostAddr: HOST_ADDR },
  { flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: HOST_ADDR },
  { flags: GNTMAP_device_map, hostAddr: 0 },
  { flags: GNTMAP_device_map | GNTMAP_readonly, hostAddr: 0 },
];

/** Boundary values: one mapping of both kinds, a host address without an L1 table (undo path),
 * and no kind at all (bad_gntref). */
const FULL_MAPS: readonly MapChoice[] = [
  ...PROTOCOL_MAPS,
  { flags: GNTMAP_host_map | GNTMAP_device_map, hostAddr: HOST_ADDR },
  { flags: GNTMAP_host_map, hostAddr: BAD_HOST_ADDR },
  { flags: 0, hostAddr: HOST_ADDR },
  // GNTMAP_contains_pte at the PTE of HOST_ADDR's page (the same mapping), and misaligned
  { flags: GNTMAP_host_map | GNTMAP_contains_pte, hostAddr: HOST_ADDR, pteOffset: 0 },
  { flags: GNTMAP_host_map | GNTMAP_contains_pte, hostAddr: HOST_ADDR, pteOffset: 4 },
];

/** The address a choice maps at for caller `c`. */
function choiceAddr(ch: MapChoice, c: number): number {
  return ch.pteOffset === undefined ? ch.hostAddr : hostPte(c) + ch.pteOffset;
}

/** The machine address of the PTE of caller `c`'s HOST_ADDR page. */
function hostPte(c: number): number {
  return pteAddress(c, HOST_ADDR / PAGE_SIZE);
}

/** The address a live mapping is unmapped by: as it was mapped (GNTMAP_contains_pte or not). */
function unmapAddr(flags: number, c: number): number {
  return flags & GNTMAP_contains_pte ? hostPte(c) : HOST_ADDR;
}

function isReadonlyMap(flags: number): boolean {
  return (flags & GNTMAP_readonly) !== 0;
}

/** The frame an access entry of `d` stands for: the pinned MFN, else its gfn's page. */
export function accessFrame(d: DomainState, ref: number): number | undefined {
  const act = d.grantTable.active.get(ref);
  if (act) return act.mfn;
  return d.p2m.get(entryAt(d.grantTable, ref).frame);
}

/** Static op tables, built once per model. */
class OpTable {
  /** [dom][refIndex] -> ops */
  readonly grantAccess: Op[][][] = [];
  readonly endAccess: Op[][] = [];
  readonly grantTransfer: Op[][][] = [];
  readonly endTransfer: Op[][] = [];
  /** [caller][granter][refIndex][choice] */
  readonly map: MapGrantRefOp[][][][] = [];
  /** [caller][granter][refIndex][choice][k - 2]: the map repeated k times, k = 2..batch. */
  readonly mapBatches: MapGrantRefOp[][][][][] = [];
  /** [caller]: maps of a domain that does not exist and of a ref beyond the table. */
  readonly badMaps: MapGrantRefOp[][] = [];
  /** [caller][gfn][receiver (domains = a missing one)][refIndex] */
  readonly transfer: TransferOp[][][][] = [];
  readonly tableOps: Op[] = [];
  /** The extensions' ops that every state shares (hostile writes, copies). */
  readonly extraOps: Op[] = [];
  /** [caller][granter][refIndex][protocol choice]: map_bursts. */
  readonly bursts: MapGrantRefOp[][][][] = [];

  constructor(
    b: XenBounds,
    readonly choices: readonly MapChoice[],
    extensions: readonly XenExtension[],
  ) {
    const full = b.alphabet === 'full';
    const doms = b.domains;
    const slot = b.pages;
    for (let d = 0; d < doms; d++) {
      const ga: Op[][] = [];
      const gt: Op[][] = [];
      const ea: Op[] = [];
      const et: Op[] = [];
      for (let ri = 0; ri < b.refs; ri++) {
        const ref = FIRST_REF + ri;
        const ops: Op[] = [];
        for (let g = 0; g < doms; g++) {
          for (let gfn = 0; gfn <= slot; gfn++) {
            for (const readonly of [false, true]) {
              ops.push({ kind: 'grant_access', dom: d, ref, grantee: g, gfn, readonly });
            }
          }
        }
        ga.push(ops);
        const tops: Op[] = [];
        for (let g = 0; g < doms; g++) {
          tops.push({ kind: 'grant_transfer', dom: d, ref, grantee: g, gfn: slot });
          // A populated slot: the page already there becomes unreachable (semantics §7.8).
          if (full) tops.push({ kind: 'grant_transfer', dom: d, ref, grantee: g, gfn: 0 });
        }
        gt.push(tops);
        ea.push({ kind: 'end_access', dom: d, ref });
        et.push({ kind: 'end_transfer', dom: d, ref });
      }
      this.grantAccess.push(ga);
      this.grantTransfer.push(gt);
      this.endAccess.push(ea);
      this.endTransfer.push(et);
    }
    for (let c = 0; c < doms; c++) {
      const byGranter: MapGrantRefOp[][][] = [];
      for (let x = 0; x < doms; x++) {
        const byRef: MapGrantRefOp[][] = [];
        for (let ri = 0; ri < b.refs; ri++) {
          byRef.push(
            choices.map((ch) => ({
              kind: 'map_grant_ref',
              caller: c,
              batch: [
                { dom: x, ref: FIRST_REF + ri, flags: ch.flags, hostAddr: choiceAddr(ch, c) },
              ],
            })),
          );
        }
        byGranter.push(byRef);
      }
      this.map.push(byGranter);
      this.mapBatches.push(
        byGranter.map((byRef) =>
          byRef.map((ops) =>
            ops.map((op) =>
              Array.from({ length: (b.batch ?? 1) - 1 }, (_, i) => repeated(op, i + 2)),
            ),
          ),
        ),
      );
      this.badMaps.push(
        full
          ? [
              {
                kind: 'map_grant_ref',
                caller: c,
                batch: [{ dom: doms, ref: FIRST_REF, flags: GNTMAP_host_map, hostAddr: HOST_ADDR }],
              },
              {
                kind: 'map_grant_ref',
                caller: c,
                batch: [
                  { dom: c, ref: SHGNT_PER_PAGE_V1, flags: GNTMAP_host_map, hostAddr: HOST_ADDR },
                ],
              },
            ]
          : [],
      );
      const byGfn: TransferOp[][][] = [];
      for (let gfn = 0; gfn <= slot; gfn++) {
        const byReceiver: TransferOp[][] = [];
        for (let e = 0; e <= doms; e++) {
          const byRef: TransferOp[] = [];
          for (let ri = 0; ri < b.refs; ri++) {
            byRef.push({
              kind: 'transfer',
              caller: c,
              batch: [{ gfn, domid: e, ref: FIRST_REF + ri }],
            });
          }
          byReceiver.push(byRef);
        }
        byGfn.push(byReceiver);
      }
      this.transfer.push(byGfn);
      if (full) {
        this.tableOps.push(
          { kind: 'setup_table', caller: c, dom: DOMID_SELF, nrFrames: 1 },
          { kind: 'setup_table', caller: c, dom: DOMID_SELF, nrFrames: 2 },
          { kind: 'query_size', caller: c, dom: DOMID_SELF },
        );
        // A non-control domain asking about another: permission_denied.
        if (c > 0) this.tableOps.push({ kind: 'query_size', caller: c, dom: 0 });
        // swap_grant_ref on the caller's own table: each bounded ref with the next one (the last
        // with ref 8+R, which only swaps name), a ref with itself, and a ref beyond the table.
        for (let ri = 0; ri < b.refs; ri++) {
          this.tableOps.push(swap(c, FIRST_REF + ri, FIRST_REF + ri + 1));
        }
        this.tableOps.push(swap(c, FIRST_REF, FIRST_REF), swap(c, FIRST_REF, SHGNT_PER_PAGE_V1));
      }
    }
    const ext = new Set(extensions);
    if (ext.has('hostile_writes')) this.extraOps.push(...hostileWrites(b));
    if (ext.has('copies')) this.extraOps.push(...copies(b));
    // the toolstack kills a guest (XEN_DOMCTL_destroydomain); ops of a dead domain are then
    // not_running and change nothing
    if (ext.has('deaths')) {
      for (let x = 1; x < doms; x++)
        this.extraOps.push({ kind: 'destroy_domain', caller: 0, dom: x });
    }
    if (ext.has('map_bursts')) {
      for (let c = 0; c < doms; c++) {
        this.bursts.push(
          Array.from({ length: doms }, (_, x) =>
            Array.from({ length: b.refs }, (_, ri) =>
              PROTOCOL_MAPS.map((ch) => ({
                kind: 'map_grant_ref',
                caller: c,
                batch: Array.from({ length: GNTPIN_COUNTER_LIMIT }, () => ({
                  dom: x,
                  ref: FIRST_REF + ri,
                  flags: ch.flags,
                  hostAddr: ch.hostAddr,
                })),
              })),
            ),
          ),
        );
      }
    }
  }
}

/** A map batch of `k` copies of `op`'s one element. */
function repeated(op: MapGrantRefOp, k: number): MapGrantRefOp {
  const [element] = op.batch;
  return { ...op, batch: element ? Array.from({ length: k }, () => element) : [] };
}

/** hostile_writes: each bounded ref of each domain, with a bit only Xen may set, naming the next
 * domain. */
function hostileWrites(b: XenBounds): Op[] {
  const ops: Op[] = [];
  for (let d = 0; d < b.domains; d++) {
    for (let ri = 0; ri < b.refs; ri++) {
      for (const flags of [
        GTF_permit_access | GTF_writing,
        GTF_accept_transfer | GTF_transfer_committed,
      ]) {
        const domid = (d + 1) % b.domains;
        ops.push({ kind: 'raw_write', dom: d, ref: FIRST_REF + ri, flags, domid, frame: 0 });
      }
    }
  }
  return ops;
}

/** copies: for each caller, one-element copies between its own page 0 (DOMID_SELF), another
 * domain's first ref and that domain's page 0 under its numeric domid, in three shapes; then
 * the cached-domain-pair batches. */
function copies(b: XenBounds): Op[] {
  const ops: Op[] = [];
  const own = (offset: number): CopyPtr => ({ u: 0, domid: DOMID_SELF, offset });
  const copy = (caller: number, batch: CopyArgs[]): Op => ({ kind: 'copy', caller, batch });
  for (let c = 0; c < b.domains; c++) {
    const sides: { ptr: (offset: number) => CopyPtr; gref: boolean }[] = [
      { ptr: own, gref: false },
    ];
    for (let x = 0; x < b.domains; x++) {
      if (x === c) continue;
      sides.push({ ptr: (offset) => ({ u: FIRST_REF, domid: x, offset }), gref: true });
      sides.push({ ptr: (offset) => ({ u: 0, domid: x, offset }), gref: false });
    }
    // length 0 (every check, no bytes), 1 byte, and 2 bytes from the source's last byte
    const shapes = [
      { len: 0, from: 0 },
      { len: 1, from: 0 },
      { len: 2, from: PAGE_SIZE - 1 },
    ];
    for (const src of sides) {
      for (const dst of sides) {
        for (const { len, from } of shapes) {
          const flags = (src.gref ? GNTCOPY_source_gref : 0) | (dst.gref ? GNTCOPY_dest_gref : 0);
          ops.push(copy(c, [{ source: src.ptr(from), dest: dst.ptr(0), len, flags }]));
        }
      }
    }
    // The cached domain pair: a grant of x, then a page under x's numeric domid, each way round.
    for (let x = 0; x < b.domains; x++) {
      if (x === c) continue;
      const grant: CopyPtr = { u: FIRST_REF, domid: x, offset: 0 };
      const page: CopyPtr = { u: 0, domid: x, offset: 0 };
      ops.push(
        copy(c, [
          { source: grant, dest: own(0), len: 0, flags: GNTCOPY_source_gref },
          { source: page, dest: own(0), len: 0, flags: 0 },
        ]),
        copy(c, [
          { source: own(0), dest: grant, len: 0, flags: GNTCOPY_dest_gref },
          { source: own(0), dest: page, len: 0, flags: 0 },
        ]),
      );
    }
  }
  return ops;
}

/** What a search leaves out of the alphabet: a preset's or a subject's cut (xenModel's `opKinds`
 * and `pteMaps`). Applied where the ops are enumerated, so a cut search builds no op it drops. */
export interface AlphabetCut {
  /** Only ops of these kinds; every kind when absent. */
  readonly kinds?: ReadonlySet<OpKind>;
  /** No GNTMAP_contains_pte map. */
  readonly noPte?: boolean;
}

/** Enumerates the ops of a state. Why a class? The tables and a scratch array are built once. */
export class XenAlphabetEnumerator {
  private readonly table: OpTable;
  private readonly full: boolean;
  private readonly counts: Int32Array;
  private readonly splitUnmaps: boolean;
  private readonly overflowMaps: boolean;
  private readonly batch: number;
  /** The cut's kinds, or undefined for all. */
  private readonly kinds: ReadonlySet<OpKind> | undefined;
  /** The table's ops that every state shares, cut. */
  private readonly tableOps: readonly Op[];
  private readonly extraOps: readonly Op[];
  /** Does the cut keep maps, unmaps, unmap_and_replace, transfers? */
  private readonly maps: boolean;
  private readonly unmaps: boolean;
  private readonly replaces: boolean;
  private readonly transfers: boolean;
  /** Full alphabet: the grant, end, offer and end-offer ops of every domain and ref, in
   * `actions`' order (no state decides any of them there). */
  private readonly fullGrantOps: readonly Op[];
  /** Full alphabet: every transfer of caller c (pushTransfers' order), by c. */
  private readonly fullTransfers: readonly (readonly TransferOp[])[];
  /** The unmap ops of one live handle, by unmapKey: the same objects for every state. */
  private readonly unmapOps = new Map<number, readonly Op[]>();

  constructor(
    readonly bounds: XenBounds,
    readonly config: GrantConfig,
    extensions: readonly XenExtension[] = [],
    cut: AlphabetCut = {},
  ) {
    this.full = bounds.alphabet === 'full';
    const choices = this.full ? FULL_MAPS : PROTOCOL_MAPS;
    this.table = new OpTable(
      bounds,
      cut.noPte ? choices.filter((ch) => (ch.flags & GNTMAP_contains_pte) === 0) : choices,
      extensions,
    );
    this.counts = new Int32Array(bounds.domains * bounds.refs * 2);
    this.splitUnmaps = extensions.includes('split_unmaps');
    this.overflowMaps = extensions.includes('overflow_maps');
    this.batch = bounds.batch ?? 1;
    this.kinds = cut.kinds;
    this.tableOps = this.table.tableOps.filter((op) => this.has(op.kind));
    this.extraOps = this.table.extraOps.filter((op) => this.has(op.kind));
    this.maps = this.has('map_grant_ref');
    this.unmaps = this.has('unmap_grant_ref');
    this.replaces = this.full && this.has('unmap_and_replace');
    this.transfers = this.has('transfer');
    const t = this.table;
    const grantOps: Op[] = [];
    const transfers: TransferOp[][] = [];
    if (this.full) {
      for (let d = 0; d < bounds.domains; d++) {
        for (let ri = 0; ri < bounds.refs; ri++) {
          if (this.has('grant_access')) grantOps.push(...(t.grantAccess[d]?.[ri] ?? []));
          const end = t.endAccess[d]?.[ri];
          if (this.has('end_access') && end) grantOps.push(end);
          if (this.has('grant_transfer')) grantOps.push(...(t.grantTransfer[d]?.[ri] ?? []));
          const endOffer = t.endTransfer[d]?.[ri];
          if (this.has('end_transfer') && endOffer) grantOps.push(endOffer);
        }
        const mine: TransferOp[] = [];
        for (const byReceiver of t.transfer[d] ?? []) {
          for (const byRef of byReceiver) for (const op of byRef) mine.push(op);
        }
        transfers.push(mine);
      }
    }
    this.fullGrantOps = grantOps;
    this.fullTransfers = transfers;
  }

  /** Does the cut keep ops of this kind? */
  private has(kind: OpKind): boolean {
    return this.kinds === undefined || this.kinds.has(kind);
  }

  /** Every op the tables hold that `actions` may issue (the ops states share; unmaps, built per
   * state, are not). */
  *staticOps(): Iterable<Op> {
    const t = this.table;
    const ops: Op[] = [];
    for (const byRef of t.grantAccess) {
      for (const refOps of byRef) {
        // the protocol guest grants no access to itself (see `actions`)
        ops.push(
          ...refOps.filter(
            (op) => this.full || (op.kind === 'grant_access' && op.grantee !== op.dom),
          ),
        );
      }
    }
    for (const byRef of t.grantTransfer) for (const refOps of byRef) ops.push(...refOps);
    for (const refOps of [...t.endAccess, ...t.endTransfer, ...t.badMaps]) ops.push(...refOps);
    for (const byGranter of t.map)
      for (const byRef of byGranter) for (const refOps of byRef) ops.push(...refOps);
    yield* ops.filter((op) => this.has(op.kind));
    yield* this.tableOps;
    yield* this.extraOps;
  }

  /** The op kinds this alphabet issues in some state: its shared ops', and the unmaps,
   * transfers and unmap_and_replace ops it builds per state. */
  kindsIssued(): ReadonlySet<OpKind> {
    const kinds = new Set<OpKind>();
    for (const op of this.staticOps()) kinds.add(op.kind);
    if (this.maps && this.unmaps) kinds.add('unmap_grant_ref');
    if (this.transfers) kinds.add('transfer');
    if (this.replaces) kinds.add('unmap_and_replace');
    return kinds;
  }

  actions(s: XenState): Op[] {
    const m = s.model;
    const out: Op[] = [];
    // Full alphabet: the same ops in every state (pushGrants would push these, in this order).
    if (this.full && m.domains.length >= this.bounds.domains) {
      for (const op of this.fullGrantOps) out.push(op);
    } else {
      this.pushGrants(s, out);
    }
    if (this.maps) this.pushMaps(m, out);
    this.pushUnmaps(m, out);
    if (this.transfers) this.pushTransfers(m, out);
    if (this.full) for (const op of this.tableOps) out.push(op);
    for (const op of this.extraOps) out.push(op);
    return out;
  }

  /** Each domain's grant, end, offer and end-offer ops. */
  private pushGrants(s: XenState, out: Op[]): void {
    const b = this.bounds;
    const t = this.table;
    const full = this.full;
    const m = s.model;
    const grants = this.has('grant_access');
    const endAccess = this.has('end_access');
    const offers = this.has('grant_transfer');
    const endTransfer = this.has('end_transfer');
    for (let d = 0; d < b.domains; d++) {
      const dom = m.domains[d];
      if (!dom) continue;
      for (let ri = 0; ri < b.refs; ri++) {
        const ref = FIRST_REF + ri;
        const e = entryAt(dom.grantTable, ref);
        // A protocol guest does not reuse a ref whose completed transfer it has not collected.
        const held =
          !full &&
          isAcceptTransfer(e) &&
          isCommitted(e) &&
          isCompleted(e) &&
          !isCollected(b, s, d, ref);
        if (grants) {
          for (const op of t.grantAccess[d]?.[ri] ?? []) {
            if (full) out.push(op);
            else if (
              op.kind === 'grant_access' &&
              !held &&
              op.grantee !== d &&
              dom.p2m.has(op.gfn)
            ) {
              out.push(op);
            }
          }
        }
        const end = endAccess ? t.endAccess[d]?.[ri] : undefined;
        if (end) out.push(end);
        if (offers) {
          for (const op of t.grantTransfer[d]?.[ri] ?? []) {
            if (
              full ||
              (op.kind === 'grant_transfer' && !held && this.freeSlot(dom, op.gfn, ref))
            ) {
              out.push(op);
            }
          }
        }
        const endOffer = endTransfer ? t.endTransfer[d]?.[ri] : undefined;
        if (endOffer) out.push(endOffer);
      }
    }
  }

  /** Protocol: a transfer slot is an empty gfn that no other open offer of `dom` names. */
  private freeSlot(dom: DomainState, gfn: number, ref: number): boolean {
    if (dom.p2m.has(gfn)) return false;
    for (let ri = 0; ri < this.bounds.refs; ri++) {
      const r = FIRST_REF + ri;
      const e = entryAt(dom.grantTable, r);
      if (r !== ref && e.flags === GTF_accept_transfer && e.frame === gfn) return false;
    }
    return true;
  }

  private pushMaps(m: ModelState, out: Op[]): void {
    const b = this.bounds;
    const counts = this.counts;
    const choices = this.table.choices;
    for (let c = 0; c < b.domains; c++) {
      const mapper = m.domains[c];
      if (!mapper) continue;
      counts.fill(0);
      mapper.maptrack.mappings.forEach((mp) => {
        const ri = mp.ref - FIRST_REF;
        if (ri >= 0 && ri < b.refs && mp.granter >= 0 && mp.granter < b.domains) {
          const i = (mp.granter * b.refs + ri) * 2 + (isReadonlyMap(mp.flags) ? 1 : 0);
          counts[i] = (counts[i] ?? 0) + 1;
        }
      });
      const byGranter = this.table.map[c] ?? [];
      for (let x = 0; x < b.domains; x++) {
        for (let ri = 0; ri < b.refs; ri++) {
          const ops = byGranter[x]?.[ri] ?? [];
          // overflow_maps: the caller's pins of a grant it holds (only the grantee adds pins)
          const act = this.overflowMaps
            ? m.domains[x]?.grantTable.active.get(FIRST_REF + ri)
            : undefined;
          const pinning = act !== undefined && act.grantee === c;
          const at = (x * b.refs + ri) * 2;
          for (let k = 0; k < ops.length; k++) {
            const ch = choices[k];
            const op = ops[k];
            if (!ch || !op) continue;
            const held = counts[at + (isReadonlyMap(ch.flags) ? 1 : 0)] ?? 0;
            if (held < b.maxPin) out.push(op);
            else if (pinning && wouldOverflow(act, pinIncrement(ch.flags))) out.push(op);
            if (this.batch > 1) this.pushMapBatches(c, x, ri, k, held, out);
          }
        }
      }
      for (const op of this.table.badMaps[c] ?? []) out.push(op);
      this.pushBursts(mapper, c, out);
    }
  }

  /** Batches of k equal maps, k = 2..batch, while the caller would hold at most maxPin. */
  private pushMapBatches(c: number, x: number, ri: number, k: number, held: number, out: Op[]) {
    const batches = this.table.mapBatches[c]?.[x]?.[ri]?.[k] ?? [];
    for (let i = 0; i < batches.length && held + i + 2 <= this.bounds.maxPin; i++) {
      const op = batches[i];
      if (op) out.push(op);
    }
  }

  /** map_bursts: a burst of one kind of a grant only while the caller holds none of that kind. */
  private pushBursts(mapper: DomainState, c: number, out: Op[]): void {
    const bursts = this.table.bursts[c];
    if (!bursts) return;
    const held = new Set<string>();
    for (const mp of mapper.maptrack.mappings.values())
      held.add(`${mp.granter}:${mp.ref}:${mp.flags}`);
    for (const [x, byRef] of bursts.entries()) {
      for (const [ri, ops] of byRef.entries()) {
        for (const op of ops) {
          const flags = op.batch[0]?.flags ?? 0;
          if (!held.has(`${x}:${FIRST_REF + ri}:${flags}`)) out.push(op);
        }
      }
    }
  }

  private pushUnmaps(m: ModelState, out: Op[]): void {
    const unmaps = this.unmaps;
    if (!unmaps && !this.replaces) return;
    for (let c = 0; c < this.bounds.domains; c++) {
      const mapper = m.domains[c];
      if (!mapper) continue;
      const mt = mapper.maptrack;
      // An IntMap iterates in ascending handle order.
      mt.mappings.forEach((mp, h) => {
        const mfn = m.domains[mp.granter]?.grantTable.active.get(mp.ref)?.mfn;
        for (const op of this.handleUnmaps(c, h, mp.flags, mfn)) out.push(op);
      });
      if (!unmaps) continue;
      // A handle beyond the table, or of a free entry: bad_handle.
      if (this.full) out.push(unmap(c, mt.limit, HOST_ADDR, 0));
      // batches: each run of k consecutive live handles, k = 2..batch, each unmapped whole
      if (this.batch > 1) {
        const whole: UnmapGrantRefArgs[] = [];
        mt.mappings.forEach((mp, h) => {
          const mfn = m.domains[mp.granter]?.grantTable.active.get(mp.ref)?.mfn;
          const dev = mfn === undefined ? 0 : mfn * PAGE_SIZE;
          whole.push({ handle: h, hostAddr: unmapAddr(mp.flags, c), devBusAddr: dev });
        });
        for (let k = 2; k <= this.batch; k++) {
          for (let i = 0; i + k <= whole.length; i++) {
            out.push({ kind: 'unmap_grant_ref', caller: c, batch: whole.slice(i, i + k) });
          }
        }
      }
    }
  }

  /** The one-handle unmaps of caller `c`'s live handle `h`, whose mapping has `flags` and whose
   * pin is on frame `mfn` (undefined: none). Why kept: a state's unmaps are mostly those of
   * states before it, so the same op objects serve them all (no allocation per state). */
  private handleUnmaps(
    c: number,
    h: number,
    flags: number,
    mfn: number | undefined,
  ): readonly Op[] {
    const both = GNTMAP_host_map | GNTMAP_device_map;
    // Every input the ops depend on, as one number (exact while `keyed`).
    const key =
      ((mfn ?? -1) + 1) * 2 ** 22 +
      h * 64 +
      (flags & GNTMAP_contains_pte ? 32 : 0) +
      ((flags & both) === both ? 16 : 0) +
      c;
    const keyed = h < 2 ** 16 && c < 16 && (mfn ?? 0) < 2 ** 30;
    const known = keyed ? this.unmapOps.get(key) : undefined;
    if (known !== undefined) return known;
    const built: Op[] = [];
    const dev = mfn === undefined ? 0 : mfn * PAGE_SIZE;
    const host = unmapAddr(flags, c);
    if (this.unmaps) {
      built.push(unmap(c, h, host, 0), unmap(c, h, 0, dev), unmap(c, h, host, dev));
      // A device address that is not the page's: bad_dev_addr, nothing unmapped.
      if (this.full) built.push(unmap(c, h, host, dev + PAGE_SIZE));
    }
    // unmap_and_replace: new_addr 0 (a host unmap), and new_addr = host_addr (the steal
    // empties the slot the PTE test then reads: general_error, the PTE destroyed)
    if (this.replaces) built.push(replace(c, h, host, 0), replace(c, h, host, HOST_ADDR));
    // split_unmaps: the host part, then the device part, of one handle in one batch
    if (this.unmaps && this.splitUnmaps && (flags & both) === both) {
      built.push({
        kind: 'unmap_grant_ref',
        caller: c,
        batch: [
          { handle: h, hostAddr: host, devBusAddr: 0 },
          { handle: h, hostAddr: 0, devBusAddr: dev },
        ],
      });
    }
    if (keyed) this.unmapOps.set(key, built);
    return built;
  }

  private pushTransfers(m: ModelState, out: Op[]): void {
    const b = this.bounds;
    const full = this.full;
    for (let c = 0; c < b.domains; c++) {
      const sender = m.domains[c];
      if (!sender) continue;
      if (full) {
        // The full alphabet issues every transfer of an existing caller.
        for (const op of this.fullTransfers[c] ?? []) out.push(op);
        continue;
      }
      for (let gfn = 0; gfn <= b.pages; gfn++) {
        const mfn = sender.p2m.get(gfn);
        // Protocol: a guest gives away only a page it holds and has not granted (the core's
        // "frame in no access entry of g"; Xen itself refuses only mapped pages).
        if (mfn === undefined || this.isGranted(sender, mfn)) continue;
        for (let e = 0; e <= b.domains; e++) {
          const receiver = m.domains[e];
          if (!receiver) continue;
          for (let ri = 0; ri < b.refs; ri++) {
            const op = this.table.transfer[c]?.[gfn]?.[e]?.[ri];
            if (!op) continue;
            // Protocol: only into an entry the receiver offered to this sender (so nothing
            // fails after the steal, which would free the page: the core has no such step).
            const entry = entryAt(receiver.grantTable, FIRST_REF + ri);
            if (entry.flags !== GTF_accept_transfer || entry.domid !== c) continue;
            out.push(op);
          }
        }
      }
    }
  }

  private isGranted(d: DomainState, mfn: number): boolean {
    for (let ri = 0; ri < this.bounds.refs; ri++) {
      const ref = FIRST_REF + ri;
      if (isPermitAccess(entryAt(d.grantTable, ref)) && accessFrame(d, ref) === mfn) return true;
    }
    return false;
  }
}

function replace(caller: number, handle: number, hostAddr: number, newAddr: number): Op {
  return { kind: 'unmap_and_replace', caller, batch: [{ handle, hostAddr, newAddr }] };
}

function unmap(caller: number, handle: number, hostAddr: number, devBusAddr: number): Op {
  return { kind: 'unmap_grant_ref', caller, batch: [{ handle, hostAddr, devBusAddr }] };
}

function swap(caller: number, refA: number, refB: number): Op {
  return { kind: 'swap_grant_ref', caller, batch: [{ refA, refB }] };
}
