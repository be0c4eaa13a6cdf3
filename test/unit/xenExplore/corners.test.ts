// The Xen-level explorer's corners: the `corners` preset reaches a pin overflow refusal, maptrack
// exhaustion and a max_pages refusal (each recognised here from the parent state, not from the
// alphabet's code), the default bounds reach none of them; overflow maps, batches and the bound
// checks of src/xenExplore/bounds.ts.
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/index.ts';
import { entryAt } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { MapGrantRefOp, Op } from '../../../src/ops/op.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import type { XenBounds, XenExploreModel, XenState } from '../../../src/xenExplore/index.ts';
import {
  DEFAULT_XEN_BOUNDS,
  XEN_PRESETS,
  XenConformance,
  xenBoundsProblems,
  xenExtrasProblems,
  xenModel,
  xenModelName,
} from '../../../src/xenExplore/index.ts';
import {
  GNTMAP_contains_pte,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTST_general_error,
  GNTST_no_space,
  GNTST_okay,
  GTF_accept_transfer,
} from '../../../src/xen/abi.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';

interface Corners {
  /** One-element maps refused because a counter they increment is at 128. */
  pinOverflow: number;
  /** Map batches with an element refused for want of a maptrack handle, after 255 live ones. */
  maptrackExhausted: number;
  /** Transfers into an entry offered to the sender, refused because the receiver is full. */
  maxPages: number;
}

/** A map element the pins of its grant refuse: a counter it increments is at 128
 * (map_grant_ref's GNTPIN_incr2oflow_mask test), the caller being the pinning domain. */
function overflows(m: ModelState, caller: number, op: MapGrantRefOp): boolean {
  const [e] = op.batch;
  if (!e || op.batch.length !== 1) return false;
  const act = m.domains[e.dom]?.grantTable.active.get(e.ref);
  if (!act || act.grantee !== caller) return false;
  const ro = (e.flags & GNTMAP_readonly) !== 0;
  const full = (n: number) => n >= 128;
  return (
    ((e.flags & GNTMAP_host_map) !== 0 && full(ro ? act.hostReadonly : act.hostWritable)) ||
    ((e.flags & GNTMAP_device_map) !== 0 && full(ro ? act.deviceReadonly : act.deviceWritable))
  );
}

function classify(c: Corners, s: XenState, a: Op, r: OpResult): void {
  const m = s.model;
  if (a.kind === 'map_grant_ref' && r.kind === 'map_grant_ref') {
    const statuses = r.results.map((e) => e.status);
    if (statuses[0] === GNTST_general_error && overflows(m, a.caller, a)) c.pinOverflow++;
    const refused = statuses.indexOf(GNTST_no_space);
    if (refused >= 0) {
      // the live mappings before the op and those this batch made before the refusal
      const live = m.domains[a.caller]?.maptrack.mappings.size ?? 0;
      const made = statuses.slice(0, refused).filter((st) => st === GNTST_okay).length;
      if (live + made === 255) c.maptrackExhausted++;
    }
  }
  if (a.kind === 'transfer' && r.kind === 'transfer' && a.batch.length === 1) {
    const [e] = a.batch;
    const receiver = e ? m.domains[e.domid] : undefined;
    const entry = e && receiver ? entryAt(receiver.grantTable, e.ref) : undefined;
    if (
      e &&
      receiver &&
      e.domid !== a.caller &&
      entry?.flags === GTF_accept_transfer &&
      entry.domid === a.caller &&
      receiver.totPages >= receiver.maxPages &&
      r.statuses[0] === GNTST_general_error
    ) {
      c.maxPages++;
    }
  }
}

function exploreCorners(model: XenExploreModel, conformance?: XenConformance) {
  const c: Corners = { pinOverflow: 0, maptrackExhausted: 0, maxPages: 0 };
  const outcome = explore(model, {
    symmetry: true,
    onTransition: (s, a, t, ctx) => {
      classify(c, s, a, model.lastResult(s, a));
      return conformance ? conformance.check(s, a, t, ctx) : null;
    },
  });
  return { outcome, corners: c };
}

const corners = XEN_PRESETS.corners;
const presetModel = () =>
  xenModel(corners.bounds, { ...corners.extras, invariants: INVARIANTS, opKinds: corners.kinds });

describe('the corners preset', () => {
  it('reaches all three refusals, agrees with the correct impl on every transition, and has pinned counts', () => {
    const model = presetModel();
    const conformance = new XenConformance(model, {
      invariants: INVARIANTS,
      properties: STEP_PROPERTIES,
    });
    const { outcome, corners: c } = exploreCorners(model, conformance);
    expect(outcome.kind).toBe('ok');
    expect(outcome.stats).toMatchObject({ states: 1072, transitions: 24304, maxDepth: 7 });
    expect(conformance.stats()).toMatchObject({ checked: 24304, mismatches: 0 });
    expect(c.pinOverflow).toBeGreaterThan(0);
    expect(c.maptrackExhausted).toBeGreaterThan(0);
    expect(c.maxPages).toBeGreaterThan(0);
  }, 240_000);

  it('the default bounds of explore --model xen reach none of them', () => {
    const model = xenModel({ ...DEFAULT_XEN_BOUNDS, alphabet: 'protocol' }, {});
    const { outcome, corners: c } = exploreCorners(model);
    expect(outcome).toMatchObject({ kind: 'ok', stats: { states: 6129 } });
    expect(c).toEqual({ pinOverflow: 0, maptrackExhausted: 0, maxPages: 0 });
  });

  it('without overflow_maps, the preset reaches no pin overflow refusal', () => {
    const model = xenModel(corners.bounds, {
      ...corners.extras,
      extensions: ['map_bursts'],
      opKinds: corners.kinds,
    });
    const { outcome, corners: c } = exploreCorners(model);
    expect(outcome.kind).toBe('ok');
    expect(c.pinOverflow).toBe(0);
    expect(c.maptrackExhausted).toBeGreaterThan(0);
  });
});

/** The model's step, which every op of the Xen-level model enables. */
function step(model: XenExploreModel, s: XenState, op: Op): XenState {
  const next = model.step(s, op);
  if (!next) throw new Error(`not enabled: ${op.kind}`);
  return next;
}

/** The state after `ops` from the initial state. */
function after(model: XenExploreModel, ops: readonly Op[]): XenState {
  return ops.reduce((s, op) => step(model, s, op), model.initial());
}

const grantRw: Op = { kind: 'grant_access', dom: 0, ref: 8, grantee: 0, gfn: 0, readonly: false };
const mapOf = (flags: number, k: number): MapGrantRefOp => ({
  kind: 'map_grant_ref',
  caller: 0,
  batch: Array.from({ length: k }, () => ({ dom: 0, ref: 8, flags, hostAddr: 0x1000 })),
});
const full = (maxPin: number, batch?: number): XenBounds => ({
  domains: 1,
  refs: 1,
  pages: 1,
  maxPin,
  alphabet: 'full',
  ...(batch === undefined ? {} : { batch }),
});
/** The k-element maps of grant d0 ref 8 the model issues in `s`. */
const maps = (model: XenExploreModel, s: XenState, k: number) =>
  [...model.actions(s)].filter(
    (a): a is MapGrantRefOp =>
      a.kind === 'map_grant_ref' &&
      a.batch.length === k &&
      a.batch[0]?.dom === 0 &&
      a.batch[0].ref === 8,
  );

describe('overflow_maps', () => {
  it('issues the maps a full counter refuses, whatever maxPin, and only those', () => {
    const burst = mapOf(GNTMAP_host_map, 128);
    const withOverflow = xenModel(full(1), { extensions: ['map_bursts', 'overflow_maps'] });
    const s = after(withOverflow, [grantRw, burst]);
    expect(s.model.domains[0]?.grantTable.active.get(8)?.hostWritable).toBe(128);
    const issued = maps(withOverflow, s, 1);
    // maxPin 1 issues the read-only ones (none held); the overflow maps add every writable one
    // that increments hstw: host, host|dev, host at the bad address, host|contains_pte twice
    const writable = issued.filter((a) => !((a.batch[0]?.flags ?? 0) & GNTMAP_readonly));
    expect(writable.map((a) => a.batch[0]?.flags)).toEqual([
      GNTMAP_host_map,
      GNTMAP_host_map | GNTMAP_device_map,
      GNTMAP_host_map,
      GNTMAP_host_map | GNTMAP_contains_pte,
      GNTMAP_host_map | GNTMAP_contains_pte,
    ]);
    for (const a of writable) {
      const r = step(withOverflow, s, a);
      expect(withOverflow.lastResult(s, a)).toMatchObject({
        results: [{ status: GNTST_general_error }],
      });
      expect(r.model.domains[0]?.grantTable.active.get(8)?.hostWritable).toBe(128);
    }
    // devw is not full, but 128 writable mappings are held: maxPin stops it, as without overflows
    const without = xenModel(full(1), { extensions: ['map_bursts'] });
    const s2 = after(without, [grantRw, burst]);
    expect(
      maps(without, s2, 1).filter((a) => !((a.batch[0]?.flags ?? 0) & GNTMAP_readonly)),
    ).toEqual([]);
    expect(maps(without, s2, 1)).toEqual(issued.filter((a) => !writable.includes(a)));
  });
});

describe('batches', () => {
  it('maps k equal elements while the caller would hold at most maxPin, and unmaps runs of live handles', () => {
    const model = xenModel(full(2, 2));
    const s0 = after(model, [grantRw]);
    // every element of the one-element map alphabet, twice (the bad-domain and bad-ref maps
    // are no elements of it)
    expect(maps(model, s0, 2)).toHaveLength(9);
    expect(maps(model, s0, 2).every((a) => a.batch[0] === a.batch[1])).toBe(true);
    const s1 = step(model, s0, mapOf(GNTMAP_host_map, 1));
    // one writable mapping held: no writable pair, the read-only ones still
    const pairs = maps(model, s1, 2);
    expect(pairs.every((a) => (a.batch[0]?.flags ?? 0) & GNTMAP_readonly)).toBe(true);
    expect(pairs.length).toBeGreaterThan(0);
    const s2 = step(model, s1, mapOf(GNTMAP_device_map | GNTMAP_readonly, 1));
    const unmaps = [...model.actions(s2)].filter(
      (a) => a.kind === 'unmap_grant_ref' && a.batch.length === 2,
    );
    expect(unmaps).toHaveLength(1);
    const [u] = unmaps;
    const r = u ? step(model, s2, u) : s2;
    expect(u ? model.lastResult(s2, u) : undefined).toMatchObject({
      statuses: [GNTST_okay, GNTST_okay],
    });
    expect(r.model.domains[0]?.maptrack.mappings.size).toBe(0);
  });

  it('reach the same states as one-element ops (full D1 R1 P1 M2: 4 680), by more transitions', () => {
    const o = explore(xenModel(full(2, 2), { invariants: INVARIANTS }), { symmetry: true });
    expect(o.kind).toBe('ok');
    expect(o.stats).toMatchObject({ states: 4680, transitions: 207576 });
  });

  it('are named in the model', () => {
    expect(xenModelName(full(2, 2))).toBe('xen(D=1,R=1,P=1,MAXPIN=2,BATCH=2,full)');
    expect(xenModelName(full(2, 1))).toBe('xen(D=1,R=1,P=1,MAXPIN=2,full)');
  });
});

describe('bounds checks', () => {
  it.each([
    [{ batch: 0 }, 'batch must be an integer in 1..4, got 0'],
    [{ batch: 5 }, 'batch must be an integer in 1..4, got 5'],
    [{ batch: 1.5 }, 'batch must be an integer in 1..4, got 1.5'],
    [{ batch: 2, alphabet: 'protocol' as const }, 'batches longer than 1 need the full alphabet'],
  ])('%j', (change, problem) => {
    expect(xenBoundsProblems({ ...full(1), ...change })).toEqual([problem]);
  });

  it('takes the burst families with the protocol alphabet, the others with the full one only', () => {
    const protocol = { ...full(1), alphabet: 'protocol' as const };
    expect(xenExtrasProblems(protocol, { extensions: ['map_bursts', 'overflow_maps'] })).toEqual(
      [],
    );
    expect(xenExtrasProblems(protocol, { extensions: ['hostile_writes', 'copies'] })).toEqual([
      'extensions need the full alphabet (hostile_writes, copies; map_bursts, overflow_maps and deaths do not)',
    ]);
    expect(xenExtrasProblems(full(1), { extensions: ['hostile_writes', 'copies'] })).toEqual([]);
  });
});
