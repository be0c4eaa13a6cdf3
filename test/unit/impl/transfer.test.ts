import { describe, expect, it } from 'vitest';
import { MFN_BASE } from '../../../src/config.ts';
import { abstract } from '../../../src/impl/index.ts';
import {
  GNTMAP_device_map,
  GNTMAP_readonly,
  GNTST_bad_domain,
  GNTST_bad_page,
  GNTST_general_error,
  GNTST_okay,
  GTF_accept_transfer,
  GTF_readonly,
  GTF_transfer_committed,
  GTF_transfer_completed,
} from '../../../src/xen/abi.ts';
import { grant, map1, sharedAccesses, stepped, system, transfer } from './helpers.ts';

const MFN_D1_G2 = MFN_BASE + 4 + 2;

function accept(s: ReturnType<typeof system>, dom: number, ref: number, from: number, gfn: number) {
  return s.apply({ kind: 'grant_transfer', dom, ref, grantee: from, gfn });
}

describe('transfer', () => {
  it('moves the page: committed, then frame := MFN, then completed', () => {
    const s = system();
    accept(s, 2, 8, 1, 10);
    const mem = s.xen.domain(2).grantTable.shared;
    const { result, pauses } = stepped(s, {
      kind: 'transfer',
      caller: 1,
      batch: [{ gfn: 2, domid: 2, ref: 8 }],
    });
    expect(result).toEqual({ kind: 'transfer', statuses: [GNTST_okay] });
    expect(sharedAccesses(pauses).filter((a) => !a.startsWith('load'))).toEqual([
      'cmpxchg combo 2:8',
      'store frame 2:8',
      'store flags 2:8',
    ]);
    expect(mem.inspect(8).flags).toBe(
      GTF_accept_transfer | GTF_transfer_committed | GTF_transfer_completed,
    );
    expect(mem.inspect(8).frame).toBe(MFN_D1_G2);
    const a = abstract(s);
    expect(a.frameOwner.get(MFN_D1_G2)).toBe(2);
    expect(a.domains[1]?.p2m.has(2)).toBe(false);
    expect(a.domains[1]?.totPages).toBe(3);
    expect(a.domains[2]?.p2m.get(10)).toBe(MFN_D1_G2);
    expect(a.domains[2]?.totPages).toBe(5);
    expect(s.xen.frames.refs(MFN_D1_G2)).toBe(2);
    expect(s.apply({ kind: 'end_transfer', dom: 2, ref: 8 })).toEqual({
      kind: 'end_transfer',
      outcome: 'completed',
      frame: MFN_D1_G2,
    });
  });

  it('a mapped page cannot be stolen: bad_page, page stays', () => {
    const s = system();
    grant(s, 1, 9, 0, 2, true);
    map1(s, 0, { dom: 1, ref: 9, flags: GNTMAP_device_map | GNTMAP_readonly, hostAddr: 0 });
    accept(s, 2, 8, 1, 10);
    const before = abstract(s);
    expect(transfer(s, 1, { gfn: 2, domid: 2, ref: 8 })).toEqual([GNTST_bad_page]);
    expect(abstract(s)).toEqual(before);
  });

  it('an unbacked gfn: bad_page, nothing changes', () => {
    const s = system();
    const before = abstract(s);
    expect(transfer(s, 1, { gfn: 4, domid: 2, ref: 8 })).toEqual([GNTST_bad_page]);
    expect(abstract(s)).toEqual(before);
  });

  it('after steal_page every failure frees the page', () => {
    const cases: [string, (s: ReturnType<typeof system>) => number[], number][] = [
      ['bad receiver', (s) => transfer(s, 1, { gfn: 2, domid: 7, ref: 8 }), GNTST_bad_domain],
      // A bad ref is general_error, not bad_gntref.
      ['bad ref', (s) => transfer(s, 1, { gfn: 2, domid: 2, ref: 600 }), GNTST_general_error],
      ['no accept entry', (s) => transfer(s, 1, { gfn: 2, domid: 2, ref: 9 }), GNTST_general_error],
      [
        'entry for another sender',
        (s) => transfer(s, 0, { gfn: 2, domid: 2, ref: 8 }),
        GNTST_general_error,
      ],
    ];
    for (const [name, run, status] of cases) {
      const s = system();
      accept(s, 2, 8, 1, 10);
      const sender = name === 'entry for another sender' ? 0 : 1;
      const mfn = MFN_BASE + sender * 4 + 2;
      expect(run(s), name).toEqual([status]);
      const a = abstract(s);
      expect(a.frameOwner.has(mfn), name).toBe(false);
      expect(a.domains[sender]?.totPages, name).toBe(3);
      expect(a.domains[sender]?.p2m.has(2), name).toBe(false);
      expect(a.domains[2]?.totPages, name).toBe(4);
      expect(s.xen.frames.refs(mfn), name).toBe(0);
    }
  });

  it('the entry must be exactly GTF_accept_transfer: a committed one is refused', () => {
    const s = system();
    accept(s, 2, 8, 1, 10);
    expect(transfer(s, 1, { gfn: 2, domid: 2, ref: 8 })).toEqual([GNTST_okay]);
    expect(transfer(s, 1, { gfn: 3, domid: 2, ref: 8 })).toEqual([GNTST_general_error]);
    const s2 = system();
    s2.apply({
      kind: 'raw_write',
      dom: 2,
      ref: 8,
      flags: GTF_accept_transfer | GTF_readonly,
      domid: 1,
      frame: 10,
    });
    expect(transfer(s2, 1, { gfn: 2, domid: 2, ref: 8 })).toEqual([GNTST_general_error]);
  });

  it('a receiver at max_pages: general_error, page freed', () => {
    const s = system({ maxPagesSlack: 0 });
    accept(s, 2, 8, 1, 10);
    expect(transfer(s, 1, { gfn: 2, domid: 2, ref: 8 })).toEqual([GNTST_general_error]);
    expect(abstract(s).frameOwner.has(MFN_D1_G2)).toBe(false);
    expect(abstract(s).domains[2]?.totPages).toBe(4);
  });

  it('self-transfer is allowed', () => {
    const s = system({ maxPagesSlack: 0 });
    accept(s, 1, 8, 1, 10);
    expect(transfer(s, 1, { gfn: 2, domid: 1, ref: 8 })).toEqual([GNTST_okay]);
    const a = abstract(s);
    expect(a.domains[1]?.p2m.get(10)).toBe(MFN_D1_G2);
    expect(a.domains[1]?.totPages).toBe(4);
  });
});
