// GNTMAP_contains_pte and GNTTABOP_unmap_and_replace on real Xen: each case's status as Xen 4.17
// answered it, and the host window's PTEs after it (the agent reads them from the window's L1
// table), pinned row by row; the model agrees at every step (results, entries, hostMappings,
// contents, every invariant). Xen is booted once for the file. PTE addresses are the model's
// (docs/semantics.md §11.1: dom0's window L1 is model mfn 0x10000, page p's PTE at
// 0x10000000 + 8p); the agent gives each the property Xen checks (docs/real-xen.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps } from '../../src/harness/run.ts';
import type { ModelState } from '../../src/model/state.ts';
import { formatOp, formatResult, parseOp } from '../../src/ops/text.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import type { XenSubjectFactory } from '../../src/subject/xen/xenSubject.ts';
import { openXenSubject } from '../../src/subject/xen/xenSubject.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { sayWhetherXenRuns, XEN_AVAILABLE } from './support.ts';

sayWhetherXenRuns('contains_pte and unmap_and_replace');

/** [op, Xen's result, the window's PTEs after it as `page:mfn rw|ro`] */
type Row = readonly [string, string, string];

/** Maps and unmaps naming the PTE by machine address (create_grant_pv_mapping and
 * replace_grant_pv_mapping, xen/arch/x86/pv/grant_table.c). */
const CONTAINS_PTE: readonly Row[] = [
  ['grant_access(d0 ref=8 -> d0 gfn=256 rw)', 'ok', ''],
  ['grant_access(d0 ref=9 -> d0 gfn=257 ro)', 'ok', ''],
  // the window's L1, slot 1: the same PTE a host map at 0x1000 writes
  ['map(d0: d0 ref=8 host|pte @0x10000008)', '[okay h=0 dev=0x100000]', '1:100 rw'],
  ['write_mapped(d0 @0x1000 off=0 len=4 byte=0x5)', 'ok', '1:100 rw'],
  // misaligned (XSA-227's IS_ALIGNED check)
  ['map(d0: d0 ref=8 host|pte @0x1000000c)', '[general_error]', '1:100 rw'],
  ['map(d0: d0 ref=8 host|pte @0x10000001)', '[general_error]', '1:100 rw'],
  // a data page of dom0's (page_lock / not PGT_l1_page_table)
  ['map(d0: d0 ref=8 host|pte @0x100008)', '[general_error]', '1:100 rw'],
  // no L1 frame of dom0's there; another domain's L1 (dom0 alone: a frame no domain owns); no
  // page (get_page_from_mfn)
  ['map(d0: d0 ref=8 host|pte @0x10001000)', '[general_error]', '1:100 rw'],
  ['map(d0: d0 ref=8 host|pte @0x11000008)', '[general_error]', '1:100 rw'],
  ['map(d0: d0 ref=8 host|pte @0x8)', '[general_error]', '1:100 rw'],
  ['map(d0: d0 ref=9 host|ro|pte @0x10000010)', '[okay h=7 dev=0x101000]', '1:100 rw, 2:101 ro'],
  // device only: host_addr is not read
  ['map(d0: d0 ref=8 dev|pte @0x8)', '[okay h=8 dev=0x100000]', '1:100 rw, 2:101 ro'],
  // unmap reads host_addr by the flags maptrack kept: 0x2000 as a PTE address names no page
  ['unmap(d0: h=7 host=0x2000 dev=0x0)', '[general_error]', '1:100 rw, 2:101 ro'],
  ['unmap(d0: h=7 host=0x10000014 dev=0x0)', '[general_error]', '1:100 rw, 2:101 ro'],
  // slot 1 holds another grant's PTE (frame and RW checked, XSA-234)
  ['unmap(d0: h=7 host=0x10000008 dev=0x0)', '[general_error]', '1:100 rw, 2:101 ro'],
  ['unmap(d0: h=7 host=0x10000010 dev=0x0)', '[okay]', '1:100 rw'],
  // a map over slot 1 replaces h=0's PTE, which then unmaps nowhere
  ['map(d0: d0 ref=9 host|ro|pte @0x10000008)', '[okay h=9 dev=0x101000]', '1:101 ro'],
  ['unmap(d0: h=0 host=0x10000008 dev=0x0)', '[general_error]', '1:101 ro'],
  ['unmap(d0: h=9 host=0x10000008 dev=0x0)', '[okay]', ''],
  ['unmap(d0: h=8 host=0x0 dev=0x100000)', '[okay]', ''],
  // and a linear mapping's host_addr is linear: a PTE address there is past the window
  ['map(d0: d0 ref=8 host @0x3000)', '[okay h=10 dev=0x100000]', '3:100 rw'],
  ['unmap(d0: h=10 host=0x10000018 dev=0x0)', '[general_error]', '3:100 rw'],
  ['unmap(d0: h=10 host=0x3000 dev=0x0)', '[okay]', ''],
];

/** GNTTABOP_unmap_and_replace (unmap_and_replace in xen/common/grant_table.c,
 * steal_linear_address and replace_grant_pv_mapping). */
const UNMAP_AND_REPLACE: readonly Row[] = [
  ['grant_access(d0 ref=8 -> d0 gfn=256 rw)', 'ok', ''],
  ['grant_access(d0 ref=9 -> d0 gfn=257 ro)', 'ok', ''],
  ['map(d0: d0 ref=8 host @0x1000)', '[okay h=0 dev=0x100000]', '1:100 rw'],
  ['map(d0: d0 ref=9 host|ro @0x2000)', '[okay h=1 dev=0x101000]', '1:100 rw, 2:101 ro'],
  // new_addr's PTE (another grant's) is stolen and moved into host_addr's slot
  ['unmap_and_replace(d0: h=0 host=0x1000 new=0x2000)', '[okay]', '1:101 ro'],
  ['read_mapped(d0 @0x1000 off=0 len=4)', 'ok #55e336cd', '1:101 ro'],
  // that grant now unmaps at its new address
  ['unmap(d0: h=1 host=0x1000 dev=0x0)', '[okay]', ''],
  // a contains_pte mapping: no replace ("not available in this addressing mode"), destroy only
  ['map(d0: d0 ref=8 host|pte @0x10000020)', '[okay h=2 dev=0x100000]', '4:100 rw'],
  ['unmap_and_replace(d0: h=2 host=0x10000020 new=0x3000)', '[general_error]', '4:100 rw'],
  ['unmap_and_replace(d0: h=2 host=0x10000020 new=0x0)', '[okay]', ''],
  // new_addr == host_addr: the grant's own PTE is stolen, then does not match: gone, handle live
  ['map(d0: d0 ref=8 host @0x5000)', '[okay h=3 dev=0x100000]', '5:100 rw'],
  ['unmap_and_replace(d0: h=3 host=0x5000 new=0x5000)', '[general_error]', ''],
  // new_addr without an L1 (past the window)
  ['unmap_and_replace(d0: h=3 host=0x5000 new=0x200000)', '[general_error]', ''],
  // an empty new_addr slot: the grant's PTE is replaced by an empty one
  ['map(d0: d0 ref=9 host|ro @0x6000)', '[okay h=4 dev=0x101000]', '6:101 ro'],
  ['unmap_and_replace(d0: h=4 host=0x6000 new=0x7000)', '[okay]', ''],
  // a failed element still zapped new_addr's slot (the stolen PTE dropped at out:)
  ['map(d0: d0 ref=8 host @0x8000)', '[okay h=5 dev=0x100000]', '8:100 rw'],
  ['unmap_and_replace(d0: h=5 host=0x9000 new=0x8000)', '[general_error]', ''],
  ['map(d0: d0 ref=8 host|pte @0x10000050)', '[okay h=6 dev=0x100000]', '10:100 rw'],
  ['map(d0: d0 ref=9 host|ro @0xb000)', '[okay h=7 dev=0x101000]', '10:100 rw, 11:101 ro'],
  [
    'unmap_and_replace(d0: h=6 host=0x10000050 new=0x0; h=7 host=0xb000 new=0xc000)',
    '[okay, okay]',
    '',
  ],
  // a handle without a host part, or host_addr 0: nothing happens, new_addr untouched
  ['map(d0: d0 ref=9 host|ro @0xd000)', '[okay h=8 dev=0x101000]', '13:101 ro'],
  ['map(d0: d0 ref=8 dev @0x0)', '[okay h=9 dev=0x100000]', '13:101 ro'],
  ['unmap_and_replace(d0: h=9 host=0xd000 new=0xd000)', '[okay]', '13:101 ro'],
  ['unmap_and_replace(d0: h=8 host=0x0 new=0xd000)', '[okay]', '13:101 ro'],
  ['unmap_and_replace(d0: h=200 host=0xd000 new=0xd000)', '[bad_handle]', '13:101 ro'],
  ['unmap_and_replace(d0: h=8 host=0xd000 new=0x0)', '[okay]', ''],
];

function windowOf(state: ModelState): string {
  const d0 = state.domains[0];
  if (!d0) return '?';
  return [...d0.hostMappings]
    .map(([page, m]) => `${page}:${m.mfn.toString(16)} ${m.writable ? 'rw' : 'ro'}`)
    .join(', ');
}

describe.skipIf(!XEN_AVAILABLE)('contains_pte and unmap_and_replace on real Xen', () => {
  let xen: XenSubjectFactory;
  beforeAll(() => {
    xen = openXenSubject();
  }, 400_000);
  afterAll(() => xen.close());

  /** Xen's rows for `rows`' ops, the model checked against Xen at every step. */
  function onXen(rows: readonly Row[]): Row[] {
    const ops = rows.map(([text]) => {
      const parsed = parseOp(text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.op;
    });
    const report = runOps(XEN_DOM0_CONFIG, ops, {
      invariants: INVARIANTS,
      properties: STEP_PROPERTIES,
      subject: xen,
    });
    expect(report.failure?.violation ?? null).toBeNull();
    return report.steps.map((s) => [
      formatOp(s.op),
      formatResult(s.implResult),
      windowOf(s.implState),
    ]);
  }

  it('maps and unmaps by PTE address: each status and the PTEs as Xen left them', () => {
    expect(onXen(CONTAINS_PTE)).toEqual(CONTAINS_PTE);
  }, 120_000);

  it('unmap_and_replace: each status and where the PTEs went', () => {
    expect(onXen(UNMAP_AND_REPLACE)).toEqual(UNMAP_AND_REPLACE);
  }, 120_000);

  // Both scenarios leave handles whose PTE is gone (h=0 of a contains_pte map; h=3 and h=5 of
  // linear ones): the reset before this run must unmap them for the window and the maptrack
  // table to start as the model's.
  it('runs again after a reset that undid what they left', () => {
    expect(onXen(CONTAINS_PTE)).toEqual(CONTAINS_PTE);
    expect(onXen(UNMAP_AND_REPLACE)).toEqual(UNMAP_AND_REPLACE);
  }, 240_000);
});
