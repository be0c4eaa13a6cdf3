// destroy_domain (docs/semantics.md §17): each status code the ops around a dying domain get,
// model and impl run side by side (runOps checks results, states and every invariant).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { runOps } from '../../../src/harness/run.ts';
import type { Op } from '../../../src/ops/op.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import type { ModelState } from '../../../src/model/state.ts';
import {
  EINVAL,
  EPERM,
  ESRCH,
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTST_bad_domain,
  GNTST_bad_page,
  GNTST_general_error,
  GNTST_okay,
  GTF_reading,
  GTF_writing,
} from '../../../src/xen/abi.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';

const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };
// d0 the toolstack, d1 the domain that dies, d2 its peer; 2 pages each: d1's gfn g is 0x102 + g
const config = makeConfig({ domains: 3, pagesPerDomain: 2 });
const D1_PAGE0 = 0x102;
const D1_PAGE1 = 0x103;

/** Run `ops` through model and impl; every step must agree and keep every invariant. */
function run(ops: readonly Op[]): { results: OpResult[]; state: ModelState } {
  const report = runOps(config, ops, checks);
  expect(report.failure).toBeNull();
  const last = report.steps[report.steps.length - 1];
  return {
    results: report.steps.map((s) => s.modelResult),
    state: last?.modelState ?? report.initialState,
  };
}

const grant = (dom: number, ref: number, grantee: number, gfn: number): Op => ({
  kind: 'grant_access',
  dom,
  ref,
  grantee,
  gfn,
  readonly: false,
});
const map = (
  caller: number,
  dom: number,
  ref: number,
  hostAddr: number,
  flags = GNTMAP_host_map,
): Op => ({
  kind: 'map_grant_ref',
  caller,
  batch: [{ dom, ref, flags, hostAddr }],
});
const unmap = (caller: number, handle: number, hostAddr: number): Op => ({
  kind: 'unmap_grant_ref',
  caller,
  batch: [{ handle, hostAddr, devBusAddr: 0 }],
});
const destroy = (caller: number, dom: number): Op => ({ kind: 'destroy_domain', caller, dom });
/** One 8-byte copy from `source` to `dest`, each at offset 0. */
const copy = (
  caller: number,
  source: { readonly u: number; readonly domid: number },
  dest: { readonly u: number; readonly domid: number },
  flags: number,
): Op => ({
  kind: 'copy',
  caller,
  batch: [{ source: { ...source, offset: 0 }, dest: { ...dest, offset: 0 }, len: 8, flags }],
});

describe('destroy_domain (XEN_DOMCTL_destroydomain → domain_kill)', () => {
  it('do_domctl: -ESRCH for no such domain, -EPERM for an unprivileged caller, domain_kill: -EINVAL on itself', () => {
    const { results } = run([
      destroy(0, 7),
      destroy(2, 1),
      destroy(0, 0),
      destroy(0, 1),
      destroy(0, 1),
    ]);
    expect(results).toEqual([
      { kind: 'destroy_domain', status: ESRCH },
      { kind: 'destroy_domain', status: EPERM },
      { kind: 'destroy_domain', status: EINVAL },
      // nothing maps d1: relinquish frees every page, put_domain destroys it
      { kind: 'destroy_domain', status: 0 },
      // rcu_lock_domain_by_id no longer finds it
      { kind: 'destroy_domain', status: ESRCH },
    ]);
  });

  it('domain_kill on a zombie (DOMDYING_dead) returns 0 and changes nothing', () => {
    const { results, state } = run([
      grant(1, 8, 2, 0),
      map(2, 1, 8, 0x1000),
      destroy(0, 1),
      destroy(0, 1),
    ]);
    expect(results[3]).toEqual({ kind: 'destroy_domain', status: 0 });
    expect(state.domains[1]?.death).toBe('zombie');
  });

  it('gnttab_release_mappings: the dying mapper gives back its pins and the status bits go', () => {
    const { state } = run([
      grant(2, 8, 1, 0),
      map(1, 2, 8, 0x1000, GNTMAP_host_map | GNTMAP_device_map),
      destroy(0, 1),
    ]);
    const d2 = state.domains[2];
    expect(d2?.grantTable.active.size).toBe(0);
    expect((d2?.grantTable.entries.get(8)?.flags ?? 0) & (GTF_reading | GTF_writing)).toBe(0);
    expect(state.domains[1]?.death).toBe('gone');
  });

  it('a zombie: its mapped frame stays, the others are freed; the last unmap frees it and it is gone', () => {
    const { results, state } = run([
      grant(1, 8, 2, 0),
      map(2, 1, 8, 0x1000),
      destroy(0, 1),
      // unmap_common finds the zombie in the hash: okay
      unmap(2, 0, 0x1000),
    ]);
    expect(results[3]).toEqual({ kind: 'unmap_grant_ref', statuses: [GNTST_okay] });
    expect(state.domains[1]?.death).toBe('gone');
    expect(state.frameOwner.has(D1_PAGE0)).toBe(false);
  });

  it('while a zombie: map of an unpinned entry okay if its page lives, bad_page once freed (get_paged_frame)', () => {
    const { results, state } = run([
      grant(1, 8, 2, 0),
      grant(1, 9, 2, 0),
      grant(1, 10, 2, 1),
      map(2, 1, 8, 0x1000),
      destroy(0, 1),
      map(2, 1, 9, 0x2000),
      map(2, 1, 10, 0x3000),
    ]);
    expect(state.domains[1]?.death).toBe('zombie');
    expect(state.frameOwner.get(D1_PAGE0)).toBe(1);
    expect(state.frameOwner.has(D1_PAGE1)).toBe(false);
    expect(results[5]).toMatchObject({ results: [{ status: GNTST_okay }] });
    expect(results[6]).toEqual({ kind: 'map_grant_ref', results: [{ status: GNTST_bad_page }] });
  });

  it('copy from a zombie entry already pinned: bad_domain (acquire_grant_for_copy, td != rd || rd->is_dying)', () => {
    const { results } = run([
      grant(1, 8, 2, 0),
      map(2, 1, 8, 0x1000),
      destroy(0, 1),
      copy(2, { u: 8, domid: 1 }, { u: 0, domid: DOMID_SELF }, GNTCOPY_source_gref),
    ]);
    expect(results[3]).toEqual({ kind: 'copy', statuses: [GNTST_bad_domain] });
  });

  it("copy into a zombie's entry the caller pins read-only only: okay while its page lives (acquire_grant_for_copy's slow path has no dying check)", () => {
    const { results } = run([
      grant(1, 8, 2, 0),
      map(2, 1, 8, 0x1000, GNTMAP_host_map | GNTMAP_readonly),
      destroy(0, 1),
      copy(2, { u: 0, domid: DOMID_SELF }, { u: 8, domid: 1 }, GNTCOPY_dest_gref),
    ]);
    expect(results[3]).toEqual({ kind: 'copy', statuses: [GNTST_okay] });
  });

  it('transfer to a zombie: general_error (gnttab_transfer, e->is_dying); to a gone domain: bad_domain', () => {
    const { results } = run([
      grant(1, 8, 2, 0),
      map(2, 1, 8, 0x1000),
      destroy(0, 1),
      { kind: 'transfer', caller: 2, batch: [{ gfn: 1, domid: 1, ref: 9 }] },
      unmap(2, 0, 0x1000),
      { kind: 'transfer', caller: 2, batch: [{ gfn: 0, domid: 1, ref: 9 }] },
    ]);
    expect(results[3]).toEqual({ kind: 'transfer', statuses: [GNTST_general_error] });
    expect(results[5]).toEqual({ kind: 'transfer', statuses: [GNTST_bad_domain] });
  });

  it('setup_table/query_size on a zombie work on its intact table; on a gone one bad_domain', () => {
    const { results } = run([
      grant(1, 8, 2, 0),
      map(2, 1, 8, 0x1000),
      destroy(0, 1),
      { kind: 'query_size', caller: 0, dom: 1 },
      { kind: 'setup_table', caller: 0, dom: 1, nrFrames: 2 },
      unmap(2, 0, 0x1000),
      { kind: 'query_size', caller: 0, dom: 1 },
      map(2, 1, 8, 0x1000),
    ]);
    expect(results[3]).toMatchObject({ kind: 'query_size', status: GNTST_okay, nrFrames: 1 });
    expect(results[4]).toMatchObject({ kind: 'setup_table', status: GNTST_okay, nrFrames: 2 });
    expect(results[6]).toEqual({ kind: 'query_size', status: GNTST_bad_domain });
    // rcu_lock_domain_by_id fails in map_grant_ref
    expect(results[7]).toEqual({ kind: 'map_grant_ref', results: [{ status: GNTST_bad_domain }] });
  });

  it('ops by a dying domain are never made: not_running (domain_kill paused it)', () => {
    const { results } = run([
      grant(1, 8, 2, 0),
      map(2, 1, 8, 0x1000),
      destroy(0, 1),
      grant(1, 9, 2, 0),
      { kind: 'end_access', dom: 1, ref: 8 },
      map(1, 2, 8, 0x1000),
    ]);
    expect(results.slice(3)).toEqual([
      { kind: 'not_running' },
      { kind: 'not_running' },
      { kind: 'not_running' },
    ]);
  });
});

describe('a grantee whose grant PTE was overwritten (docs/semantics.md §17)', () => {
  it('holds no page reference: the granter dies and is gone while the grantee keeps a maptrack entry naming it', () => {
    const report = runOps(
      config,
      [
        grant(1, 8, 2, 0),
        map(2, 1, 8, 0x1000),
        // the same va again: create_grant_pv_mapping replaces the PTE (put_page_from_l1e)
        map(2, 1, 8, 0x1000),
        unmap(2, 1, 0x1000),
        destroy(0, 1),
        // unmap_common: rcu_lock_domain_by_id fails (Xen: domain_crash(ld)); bad_domain here
        unmap(2, 0, 0x1000),
      ],
      checks,
    );
    expect(report.failure).toBeNull();
    const results = report.steps.map((s) => s.modelResult);
    expect(report.steps[4]?.modelState.domains[1]?.death).toBe('gone');
    expect(report.steps[4]?.modelState.domains[2]?.maptrack.mappings.get(0)?.granter).toBe(1);
    expect(results[5]).toEqual({ kind: 'unmap_grant_ref', statuses: [GNTST_bad_domain] });
  });
});

describe("a zombie's last page put in an unmap batch (gnttab_unmap_grant_ref's two phases)", () => {
  // d2 maps d1's grant twice at one va (the second PTE replaced the first), d1 dies a zombie
  // held by that one PTE; then one batch unmaps the live mapping, then the overwritten one.
  const setup: readonly Op[] = [
    grant(1, 8, 2, 0),
    map(2, 1, 8, 0x1000),
    map(2, 1, 8, 0x1000),
    destroy(0, 1),
  ];
  it('a later element of the chunk still finds the zombie: its phase 1 ran before the put', () => {
    const batch: Op = {
      kind: 'unmap_grant_ref',
      caller: 2,
      batch: [
        { handle: 1, hostAddr: 0x1000, devBusAddr: 0 },
        { handle: 0, hostAddr: 0, devBusAddr: 0 },
      ],
    };
    const { results, state } = run([...setup, batch]);
    // before: the zombie went inside element 1, and element 2 said bad_domain (the impl: okay)
    expect(results[4]).toEqual({ kind: 'unmap_grant_ref', statuses: [GNTST_okay, GNTST_okay] });
    // the chunk's phase 2 freed the zombie's last page: gone at the end of the batch
    expect(state.domains[1]?.death).toBe('gone');
  });
  it('unmap_and_replace alike', () => {
    const batch: Op = {
      kind: 'unmap_and_replace',
      caller: 2,
      batch: [
        { handle: 1, hostAddr: 0x1000, newAddr: 0 },
        { handle: 0, hostAddr: 0, newAddr: 0 },
      ],
    };
    const { results, state } = run([...setup, batch]);
    expect(results[4]).toEqual({ kind: 'unmap_and_replace', statuses: [GNTST_okay, GNTST_okay] });
    expect(state.domains[1]?.death).toBe('gone');
  });
  it("a failed replace's put of its stolen PTE (phase 1) frees that page alone, not one whose put is owed", () => {
    // d1's zombie holds one page (ref 8's, by handle 1's PTE at 0x2000, which overwrote handle
    // 0's); handle 2's PTE at 0x5000 maps d0's page. Element 1 unmaps handle 1: that put is owed
    // to phase 2. Element 2 fails (0x7000 maps nothing) after stealing 0x5000's PTE, whose put
    // is d0's page's. Element 3 names handle 0: its granter d1 is still a zombie, not gone.
    const ops: readonly Op[] = [
      grant(1, 8, 2, 0),
      grant(1, 9, 2, 1),
      grant(0, 8, 2, 0),
      map(2, 1, 9, 0x2000),
      map(2, 1, 8, 0x2000),
      map(2, 0, 8, 0x5000),
      destroy(0, 1),
      {
        kind: 'unmap_and_replace',
        caller: 2,
        batch: [
          { handle: 1, hostAddr: 0x2000, newAddr: 0 },
          { handle: 2, hostAddr: 0x7000, newAddr: 0x5000 },
          { handle: 0, hostAddr: 0, newAddr: 0 },
        ],
      },
    ];
    const { results, state } = run(ops);
    expect(results[6]).toEqual({ kind: 'destroy_domain', status: 0 });
    // before: d1 went at element 2, and element 3 said bad_domain (the impl: okay)
    expect(results[7]).toEqual({
      kind: 'unmap_and_replace',
      statuses: [GNTST_okay, GNTST_general_error, GNTST_okay],
    });
    // the chunk's phase 2 put d1's last page: gone at the end of the batch
    expect(state.domains[1]?.death).toBe('gone');
    expect(state.domains[2]?.hostMappings.size).toBe(0);
  });
});
