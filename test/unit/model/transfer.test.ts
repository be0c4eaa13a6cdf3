import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { statesEqual } from '../../../src/model/index.ts';
import {
  DOMID_SELF,
  GNTST_bad_domain,
  GNTST_bad_page,
  GNTST_general_error,
  GTF_PWT,
  GTF_accept_transfer,
  GTF_transfer_committed,
  GTF_transfer_completed,
} from '../../../src/xen/abi.ts';
import {
  DEV,
  HOST,
  RO,
  Sim,
  grant,
  handleOf,
  mapArgs,
  transfer,
  unmap,
  unmapArgs,
} from './helpers.ts';

// d1 gfn 0 is MFN 0x104; d2 waits for a page from d1 at ref 9, into its gfn 7.
const PAGE = 0x104;
function waiting(config = makeConfig()): Sim {
  const sim = new Sim(config);
  sim.run({ kind: 'grant_transfer', dom: 2, ref: 9, grantee: 1, gfn: 7 });
  return sim;
}

describe('transfer', () => {
  it('moves the page: p2m, tot_pages, owner; the entry gets the MFN, committed and completed', () => {
    const sim = waiting();
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([0]);
    expect(sim.domain(1).p2m.has(0)).toBe(false);
    expect(sim.domain(1).totPages).toBe(3);
    expect(sim.domain(2).p2m.get(7)).toBe(PAGE);
    expect(sim.domain(2).totPages).toBe(5);
    expect(sim.state.frameOwner.get(PAGE)).toBe(2);
    expect(sim.entry(2, 9)).toEqual({
      flags: GTF_accept_transfer | GTF_transfer_committed | GTF_transfer_completed,
      domid: 1,
      frame: PAGE,
    });
    // a second transfer into the finished entry fails: flags are no longer exactly accept_transfer
    expect(sim.transfer(transfer(1, 1, 2, 9))).toEqual([GNTST_general_error]);
  });

  it('gfn not in the sender p2m → bad_page, nothing changes', () => {
    const sim = waiting();
    const before = sim.state;
    expect(sim.transfer(transfer(1, 4, 2, 9))).toEqual([GNTST_bad_page]);
    expect(statesEqual(sim.state, before)).toBe(true);
  });

  it('a mapped page cannot be stolen → bad_page, owner unchanged (host or device)', () => {
    const sim = waiting();
    sim.run(grant(1, 8, 0, 0));
    const h = handleOf(sim.map1(0, mapArgs(1, 8, HOST | RO, 0x1000)));
    const before = sim.state;
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([GNTST_bad_page]);
    expect(statesEqual(sim.state, before)).toBe(true);
    sim.unmap(unmap(0, unmapArgs(h, 0x1000, 0)));
    handleOf(sim.map1(0, mapArgs(1, 8, DEV | RO)));
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([GNTST_bad_page]);
    expect(sim.state.frameOwner.get(PAGE)).toBe(1);
  });

  it('an overwritten grant PTE holds no reference: the pinned page can be stolen', () => {
    // The corner where "pages cannot move while pinned" fails: host pins whose PTEs are gone.
    const sim = waiting();
    sim.run(grant(1, 8, 0, 0));
    sim.run(grant(1, 10, 0, 1));
    handleOf(sim.map1(0, mapArgs(1, 8, HOST | RO, 0x1000)));
    handleOf(sim.map1(0, mapArgs(1, 10, HOST | RO, 0x1000))); // replaces the PTE of ref 8
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([0]);
    expect(sim.active(1, 8)).toMatchObject({ mfn: PAGE, hostReadonly: 1 });
    // Xen's page-reference phase (11c): the page is no longer the granter's → general_error
    const before = sim.state;
    expect(sim.map1(0, mapArgs(1, 8, DEV | RO))).toMatchObject({ status: GNTST_general_error });
    expect(sim.active(1, 8)).toEqual(before.domains[1]?.grantTable.active.get(8));
    expect(sim.entry(1, 8)).toEqual(before.domains[1]?.grantTable.entries.get(8));
  });

  it('two host maps at one va page, one unmapped: the other pin holds no page reference', () => {
    const sim = waiting();
    sim.run(grant(1, 8, 0, 0, true));
    const h0 = handleOf(sim.map1(0, mapArgs(1, 8, HOST | RO, 0x1000)));
    handleOf(sim.map1(0, mapArgs(1, 8, HOST | RO, 0x1000))); // same slot, same mfn
    expect(sim.unmap(unmap(0, unmapArgs(h0, 0x1000, 0)))).toEqual([0]); // clears the shared PTE
    expect(sim.active(1, 8)?.hostReadonly).toBe(1);
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([0]);
    expect(sim.state.frameOwner.get(PAGE)).toBe(2);
    expect(sim.active(1, 8)?.mfn).toBe(PAGE); // pinned, but the page is d2's now
  });

  it('unknown receiver (DOMID_SELF too) → bad_domain, and the page is freed', () => {
    for (const domid of [3, DOMID_SELF]) {
      const sim = waiting();
      expect(sim.transfer(transfer(1, 0, domid, 9))).toEqual([GNTST_bad_domain]);
      expect(sim.state.frameOwner.has(PAGE)).toBe(false);
      expect(sim.domain(1).totPages).toBe(3);
      expect(sim.domain(1).p2m.has(0)).toBe(false);
    }
  });

  it('receiver at max_pages → general_error, page freed, receiver unchanged', () => {
    const sim = waiting(makeConfig({ maxPagesSlack: 0 }));
    const receiver = sim.domain(2);
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([GNTST_general_error]);
    expect(sim.domain(2)).toBe(receiver);
    expect(sim.state.frameOwner.has(PAGE)).toBe(false);
  });

  it('bad ref → general_error (not bad_gntref), page freed', () => {
    const sim = waiting();
    expect(sim.transfer(transfer(1, 0, 2, 512))).toEqual([GNTST_general_error]);
    expect(sim.state.frameOwner.has(PAGE)).toBe(false);
    expect(sim.domain(1).totPages).toBe(3);
    expect(sim.domain(2).totPages).toBe(4);
  });

  it('flags must be exactly GTF_accept_transfer and domid the sender', () => {
    const cases = [
      { flags: GTF_accept_transfer | GTF_PWT, domid: 1 },
      { flags: GTF_accept_transfer | GTF_transfer_committed, domid: 1 },
      { flags: GTF_accept_transfer, domid: 0 },
    ];
    for (const c of cases) {
      const sim = new Sim();
      sim.run({ kind: 'raw_write', dom: 2, ref: 9, frame: 7, ...c });
      const entry = sim.entry(2, 9);
      expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([GNTST_general_error]);
      expect(sim.entry(2, 9)).toBe(entry);
      expect(sim.state.frameOwner.has(PAGE)).toBe(false);
    }
  });

  it('self-transfer is allowed; the stolen page frees room under max_pages', () => {
    const sim = new Sim(makeConfig({ maxPagesSlack: 0 }));
    sim.run({ kind: 'grant_transfer', dom: 1, ref: 9, grantee: 1, gfn: 7 });
    expect(sim.transfer(transfer(1, 0, 1, 9))).toEqual([0]);
    expect(sim.domain(1).totPages).toBe(4);
    expect(sim.domain(1).p2m.get(7)).toBe(PAGE);
    expect(sim.domain(1).p2m.has(0)).toBe(false);
  });

  it('a page already at the target gfn stays the receiver’s, no longer in its p2m', () => {
    const sim = new Sim();
    sim.run({ kind: 'grant_transfer', dom: 2, ref: 9, grantee: 1, gfn: 0 });
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([0]);
    expect(sim.domain(2).p2m.get(0)).toBe(PAGE);
    expect(sim.state.frameOwner.get(0x108)).toBe(2);
  });
});
