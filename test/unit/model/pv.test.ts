// config.pv: a PV guest names its pages by machine frame number (x86 gfn_to_mfn of a
// non-translated domain is the identity; guest_physmap_add_page only writes the m2p). Found on
// real Xen 4.17: a PV dom0 transferring a page to itself and naming the same frame again in the
// same batch steals it a second time (general_error, the page lost), where a translated guest's
// gfn is empty after the first element (bad_page).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { initialMfn } from '../../../src/configDefaults.ts';
import { runOps } from '../../../src/harness/run.ts';
import { initialState, step } from '../../../src/model/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';

const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };

function selfTransferTwice(pv: boolean) {
  const config = makeConfig({ domains: 1, pagesPerDomain: 4, pv });
  const page = pv ? initialMfn(config, 0, 1) : 1;
  const slot = pv ? initialMfn(config, 0, 0) : 0;
  const ops: Op[] = [
    { kind: 'grant_transfer', dom: 0, ref: 8, grantee: 0, gfn: slot },
    {
      kind: 'transfer',
      caller: 0,
      batch: [
        { gfn: page, domid: 0, ref: 8 },
        { gfn: page, domid: 0, ref: 8 },
      ],
    },
  ];
  return { config, page, ops };
}

describe('config.pv', () => {
  it('a PV domain names its initial pages by MFN; a translated one by 0..pagesPerDomain-1', () => {
    const pv = makeConfig({ domains: 2, pagesPerDomain: 2, pv: true });
    expect([...(initialState(pv).domains[1]?.p2m ?? [])]).toEqual([
      [0x102, 0x102],
      [0x103, 0x103],
    ]);
    const hvm = makeConfig({ domains: 2, pagesPerDomain: 2 });
    expect([...(initialState(hvm).domains[1]?.p2m ?? [])]).toEqual([
      [0, 0x102],
      [1, 0x103],
    ]);
  });

  it('a PV self-transfer keeps the frame named by its MFN: the same frame again is stolen again', () => {
    const { config, page, ops } = selfTransferTwice(true);
    let state = initialState(config);
    const results = ops.map((op) => {
      const next = step(state, op);
      state = next.state;
      return next.result;
    });
    expect(results[1]).toEqual({ kind: 'transfer', statuses: [0, -1] });
    // the second steal freed the page: nobody owns it, and dom0 no longer names it
    expect(state.frameOwner.has(page)).toBe(false);
    expect(state.domains[0]?.p2m.has(page)).toBe(false);
    expect(state.domains[0]?.totPages).toBe(3);
  });

  it('a translated self-transfer empties the gfn: the same gfn again is bad_page', () => {
    const { config, ops } = selfTransferTwice(false);
    let state = initialState(config);
    const results = ops.map((op) => {
      const next = step(state, op);
      state = next.state;
      return next.result;
    });
    expect(results[1]).toEqual({ kind: 'transfer', statuses: [0, -9] });
    expect(state.domains[0]?.p2m.get(0)).toBe(0x101);
  });

  it('the impl agrees with the model on both', () => {
    for (const pv of [true, false]) {
      const { config, ops } = selfTransferTwice(pv);
      expect(runOps(config, ops, checks).failure).toBeNull();
    }
  });
});
