import { describe, expect, it } from 'vitest';
import { describeState, diffStates, stateKey, statesEqual } from '../../../src/model/index.ts';
import { GTF_permit_access, GTF_reading, GTF_sub_page } from '../../../src/xen/abi.ts';
import { HOST, RO, Sim, grant, mapArgs } from './helpers.ts';

/** d1 grants gfn 0 read-only to d2 at ref 8; d2 maps it at va page 5. */
function mapped(): Sim {
  const sim = new Sim();
  sim.run(grant(1, 8, 2, 0, true));
  sim.map1(2, mapArgs(1, 8, HOST | RO, 0x5000));
  return sim;
}

describe('describeState', () => {
  it('names entries, active entries, handles, PTEs, counters and owners', () => {
    const lines = describeState(mapped().state);
    expect(lines).toEqual(
      expect.arrayContaining([
        'd0 (control domain): tot_pages 4/5, grant frames 1/2, host va pages 16',
        'd1 p2m: gfn 0 → 0x104, gfn 1 → 0x105, gfn 2 → 0x106, gfn 3 → 0x107',
        'd1 ref 8: permit_access → d2 gfn 0 ro [reading]',
        'd1 active ref 8: grantee d2 mfn 0x104 hstr=1',
        'd2 maptrack: limit 256 (1/1 frames), 1 live, free list head 1 [1-255]',
        'd2 handle 0 → d1 ref 8 host|ro',
        'd2 va page 5 → mfn 0x104 ro',
        'd1 owns 0x104, 0x105, 0x106, 0x107',
      ]),
    );
  });

  it('names transfer bits by type, unnamed bits in hex, and raw-written refs', () => {
    const sim = new Sim();
    sim.run({ kind: 'grant_transfer', dom: 2, ref: 9, grantee: 1, gfn: 7 });
    sim.run({ kind: 'transfer', caller: 1, batch: [{ gfn: 0, domid: 2, ref: 9 }] });
    const flags = GTF_permit_access | GTF_reading | GTF_sub_page | 0x8000;
    sim.run({ kind: 'raw_write', dom: 2, ref: 10, flags, domid: 1, frame: 2 });
    const lines = describeState(sim.state);
    expect(lines).toContain('d2 ref 9: accept_transfer ← d1 frame 0x104 [committed, completed]');
    expect(lines).toContain(
      'd2 ref 10: permit_access → d1 gfn 2 [reading, sub_page, 0x8000] (raw-written)',
    );
  });
});

describe('diffStates', () => {
  it('names each changed field, from a to b', () => {
    const sim = mapped();
    const a = sim.state;
    sim.unmap({
      kind: 'unmap_grant_ref',
      caller: 2,
      batch: [{ handle: 0, hostAddr: 0x5000, devBusAddr: 0 }],
    });
    expect(diffStates(a, sim.state)).toEqual([
      'd1 ref 8 entry: flags 0x000d → 0x0005',
      'd1 active ref 8: grantee d2 mfn 0x104 hstr=1 → (unpinned)',
      'd2 maptrack free list: [1-255] → [1-255, 0]',
      'd2 handle 0: d1 ref 8 host|ro → (free)',
      'd2 va page 5: mfn 0x104 ro → (none)',
    ]);
    expect(diffStates(a, a)).toEqual([]);
  });

  it('reports states that differ only in ownership or the raw-write mark', () => {
    const sim = new Sim();
    const a = sim.state;
    const b = { ...a, frameOwner: new Map([...a.frameOwner].filter(([mfn]) => mfn !== 0x100)) };
    expect(diffStates(a, b)).toEqual(['mfn 0x100 owner: d0 → (free)']);
    expect(statesEqual(a, b)).toBe(false);
    expect(stateKey(a)).not.toBe(stateKey(b));
  });
});
