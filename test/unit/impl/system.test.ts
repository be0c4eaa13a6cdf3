import { stateToJson } from '../../../src/trace/stateJson.ts';
import { IntMap } from '../../../src/model/intMap.ts';
import { FreeList } from '../../../src/model/freeList.ts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, MFN_BASE } from '../../../src/config.ts';
import { abstract, DEFAULT_PARTS, GrantSystem } from '../../../src/impl/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import {
  DOMID_SELF,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTST_bad_domain,
  GNTST_general_error,
  GNTST_okay,
  GNTST_permission_denied,
  PAGE_SIZE,
} from '../../../src/xen/abi.ts';
import { apply, grant, map1, system } from './helpers.ts';

/** A mixed workload touching every kind of state. */
const OPS: readonly Op[] = [
  { kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 1, readonly: false },
  { kind: 'grant_access', dom: 1, ref: 9, grantee: 0, gfn: 2, readonly: true },
  {
    kind: 'map_grant_ref',
    caller: 2,
    batch: [{ dom: 1, ref: 8, flags: GNTMAP_host_map | GNTMAP_device_map, hostAddr: 4096 }],
  },
  {
    kind: 'map_grant_ref',
    caller: 0,
    batch: [{ dom: 1, ref: 9, flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: 8192 }],
  },
  { kind: 'grant_transfer', dom: 2, ref: 10, grantee: 0, gfn: 20 },
  { kind: 'transfer', caller: 0, batch: [{ gfn: 3, domid: 2, ref: 10 }] },
  { kind: 'raw_write', dom: 0, ref: 3, flags: 1, domid: 1, frame: 2 },
  { kind: 'setup_table', caller: 0, dom: 2, nrFrames: 2 },
];

const MORE: readonly Op[] = [
  { kind: 'unmap_grant_ref', caller: 2, batch: [{ handle: 0, hostAddr: 4096, devBusAddr: 0 }] },
  { kind: 'end_access', dom: 1, ref: 9 },
  { kind: 'grant_access', dom: 2, ref: 600, grantee: 1, gfn: 0, readonly: true },
  { kind: 'setup_table', caller: 1, dom: 1, nrFrames: 2 },
  { kind: 'raw_write', dom: 1, ref: 700, flags: 2, domid: 0, frame: 5 },
  { kind: 'grant_transfer', dom: 2, ref: 11, grantee: 1, gfn: 21 },
  { kind: 'transfer', caller: 1, batch: [{ gfn: 0, domid: 2, ref: 11 }] },
  {
    kind: 'map_grant_ref',
    caller: 1,
    batch: [{ dom: 2, ref: 600, flags: GNTMAP_device_map | GNTMAP_readonly, hostAddr: 0 }],
  },
];

describe('GrantSystem: initial state', () => {
  it('abstracts to the documented initial memory', () => {
    const s = new GrantSystem(DEFAULT_CONFIG);
    const a = abstract(s);
    expect(a.domains.length).toBe(3);
    expect(a.frameOwner.size).toBe(12);
    expect(a.frameOwner.get(MFN_BASE + 4 + 3)).toBe(1);
    const d1 = a.domains[1];
    expect(d1?.p2m.get(3)).toBe(MFN_BASE + 4 + 3);
    expect(d1?.totPages).toBe(4);
    expect(d1?.maxPages).toBe(5);
    expect(d1?.privileged).toBe(false);
    expect(a.domains[0]?.privileged).toBe(true);
    expect(d1?.grantTable).toEqual({
      nrFrames: 1,
      maxFrames: 2,
      entries: new Map(),
      active: new Map(),
    });
    expect(d1?.maptrack).toEqual({
      limit: 0,
      maxFrames: 1,
      freeList: FreeList.EMPTY,
      mappings: IntMap.empty(),
    });
  });
});

describe('GrantSystem: snapshot and restore', () => {
  it('round-trips: restore gives back the abstract state at the snapshot', () => {
    const s = system();
    apply(s, OPS);
    const saved = s.snapshot();
    const at = abstract(s);
    const results = apply(s, MORE);
    const after = abstract(s);
    expect(after).not.toEqual(at);
    s.restore(saved);
    expect(abstract(s)).toEqual(at);
    // Replaying from the restored state behaves exactly as the first time.
    expect(apply(s, MORE)).toEqual(results);
    expect(abstract(s)).toEqual(after);
    // And the snapshot stays usable.
    s.restore(saved);
    expect(abstract(s)).toEqual(at);
  });

  it('restores a smaller table after growth', () => {
    const s = system();
    const saved = s.snapshot();
    s.apply({ kind: 'setup_table', caller: 1, dom: 1, nrFrames: 2 });
    grant(s, 1, 600, 2, 1);
    s.restore(saved);
    expect(abstract(s).domains[1]?.grantTable.nrFrames).toBe(1);
    expect(grant(s, 1, 600, 2, 1)).toMatchObject({ outcome: 'einval' });
  });

  it('restores across maptrack and grant-table growth, both ways, and into another system', () => {
    const s = system();
    const small = s.snapshot();
    const atSmall = abstract(s);
    s.apply({ kind: 'setup_table', caller: 1, dom: 1, nrFrames: 2 });
    grant(s, 1, 600, 2, 1);
    map1(s, 2, { dom: 1, ref: 600, flags: GNTMAP_host_map, hostAddr: 0x2000 });
    const grown = s.snapshot();
    const atGrown = abstract(s);
    expect(atGrown.domains[2]?.maptrack.limit).toBe(256);
    s.restore(small);
    expect(abstract(s)).toEqual(atSmall);
    s.restore(grown);
    expect(abstract(s)).toEqual(atGrown);
    const other = system();
    other.restore(grown);
    expect(abstract(other)).toEqual(atGrown);
    other.restore(small);
    expect(abstract(other)).toEqual(atSmall);
  });

  it('refuses a snapshot of a system with another number of domains', () => {
    const s = system();
    expect(() => s.restore(system({ domains: 2 }).snapshot())).toThrow(/another config/);
  });

  it('keeps abstract states immutable: later ops do not change an earlier abstraction', () => {
    const s = system();
    apply(s, OPS);
    const at = abstract(s);
    const copy = JSON.stringify(stateToJson(at));
    apply(s, MORE);
    expect(JSON.stringify(stateToJson(at))).toBe(copy);
  });
});

describe('setup_table and query_size', () => {
  it('grow, never shrink; refuse beyond max_grant_frames', () => {
    const s = system();
    expect(s.apply({ kind: 'setup_table', caller: 1, dom: DOMID_SELF, nrFrames: 2 })).toEqual({
      kind: 'setup_table',
      status: GNTST_okay,
      nrFrames: 2,
    });
    expect(s.apply({ kind: 'setup_table', caller: 1, dom: 1, nrFrames: 1 })).toEqual({
      kind: 'setup_table',
      status: GNTST_okay,
      nrFrames: 2,
    });
    expect(s.apply({ kind: 'setup_table', caller: 1, dom: 1, nrFrames: 3 })).toEqual({
      kind: 'setup_table',
      status: GNTST_general_error,
    });
    expect(s.apply({ kind: 'query_size', caller: 1, dom: DOMID_SELF })).toEqual({
      kind: 'query_size',
      status: GNTST_okay,
      nrFrames: 2,
      maxNrFrames: 2,
    });
  });

  it('XSM_TARGET: only the domain itself or the control domain', () => {
    const s = system();
    expect(s.apply({ kind: 'setup_table', caller: 1, dom: 2, nrFrames: 1 })).toEqual({
      kind: 'setup_table',
      status: GNTST_permission_denied,
    });
    expect(s.apply({ kind: 'query_size', caller: 2, dom: 1 })).toEqual({
      kind: 'query_size',
      status: GNTST_permission_denied,
    });
    expect(s.apply({ kind: 'setup_table', caller: 0, dom: 2, nrFrames: 2 })).toMatchObject({
      status: GNTST_okay,
      nrFrames: 2,
    });
    expect(s.apply({ kind: 'query_size', caller: 0, dom: 9 })).toEqual({
      kind: 'query_size',
      status: GNTST_bad_domain,
    });
  });
});

describe('ImplParts', () => {
  it('a replaced part is used everywhere, the rest stay correct', () => {
    // XSA-230's shape: reduce_status_for_pin looking only at the host counter.
    const s = system(
      {},
      {
        reduceStatusForPin: (shared, ref, pin, readonly) =>
          DEFAULT_PARTS.reduceStatusForPin(shared, ref, pin & 0xff, readonly),
      },
    );
    grant(s, 1, 8, 2, 1);
    map1(s, 2, { dom: 1, ref: 8, flags: GNTMAP_device_map, hostAddr: 0 });
    const h = map1(s, 2, { dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: PAGE_SIZE });
    expect(h.status).toBe(GNTST_okay);
    const handle = 'handle' in h ? h.handle : -1;
    s.apply({
      kind: 'unmap_grant_ref',
      caller: 2,
      batch: [{ handle, hostAddr: PAGE_SIZE, devBusAddr: 0 }],
    });
    // The device mapping is still writable, yet GTF_writing went: the fault is visible.
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 8 })).toMatchObject({ outcome: 'ended' });
  });
});
