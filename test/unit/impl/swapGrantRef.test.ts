import { describe, expect, it } from 'vitest';
import { abstract } from '../../../src/impl/index.ts';
import {
  GNTMAP_host_map,
  GNTST_bad_gntref,
  GNTST_eagain,
  GNTST_okay,
  GTF_permit_access,
  GTF_readonly,
} from '../../../src/xen/abi.ts';
import { grant, map1, sharedAccesses, stepped, system } from './helpers.ts';

describe('swap_grant_ref', () => {
  it('loads both 8-byte entries, then stores both', () => {
    const s = system();
    grant(s, 1, 8, 2, 3, true);
    const mem = s.xen.domain(1).grantTable.shared;
    const { result, pauses } = stepped(s, {
      kind: 'swap_grant_ref',
      caller: 1,
      batch: [{ refA: 8, refB: 9 }],
    });
    expect(result).toEqual({ kind: 'swap_grant_ref', statuses: [GNTST_okay] });
    expect(sharedAccesses(pauses)).toEqual([
      'load entry 1:8',
      'load entry 1:9',
      'store entry 1:8',
      'store entry 1:9',
    ]);
    expect(mem.inspect(9).flags).toBe(GTF_permit_access | GTF_readonly);
    expect(mem.inspect(9).domid).toBe(2);
    expect(mem.inspect(9).frame).toBe(3);
    expect(mem.inspect(8).flags).toBe(0);
  });

  it('bad_gntref beyond the table, okay for a == b even pinned, eagain for a pinned ref', () => {
    const s = system();
    grant(s, 1, 8, 2, 3);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 })).toMatchObject({
      status: GNTST_okay,
    });
    const before = abstract(s);
    const batch = [
      { refA: 512, refB: 8 },
      { refA: 8, refB: 512 },
      { refA: 8, refB: 8 },
      { refA: 9, refB: 8 },
    ];
    expect(s.apply({ kind: 'swap_grant_ref', caller: 1, batch })).toEqual({
      kind: 'swap_grant_ref',
      statuses: [GNTST_bad_gntref, GNTST_bad_gntref, GNTST_okay, GNTST_eagain],
    });
    expect(abstract(s)).toEqual(before);
  });
});
