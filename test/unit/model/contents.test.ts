import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import {
  differingRange,
  digestRuns,
  fillRange,
  pageDigest,
  readRuns,
  withinPage,
} from '../../../src/model/contents.ts';
import type { Op } from '../../../src/ops/op.ts';
import { HOST, RO, Sim, grant, mapArgs, map, transfer } from './helpers.ts';

describe('page contents (runs)', () => {
  it('keeps runs sorted, merged and without zeros', () => {
    let p = fillRange(undefined, 10, 10, 0xab);
    p = fillRange(p, 20, 5, 0xab); // touches: merged
    expect(p?.key).toBe('10-25:ab');
    p = fillRange(p, 12, 3, 0x01); // splits the run
    expect(p?.key).toBe('10-12:ab,12-15:1,15-25:ab');
    p = fillRange(p, 0, 4096, 0); // zeros everywhere: no contents at all
    expect(p).toBeUndefined();
    expect(fillRange(undefined, 4095, 1, 0xff)?.key).toBe('4095-4096:ff');
    expect(fillRange(undefined, 5, 0, 0xff)).toBeUndefined();
  });
  it('reads a range relative to its start; equal bytes give equal digests', () => {
    const p = fillRange(fillRange(undefined, 0, 8, 7), 100, 4, 9);
    expect(readRuns(p, 4, 100)).toEqual([
      { start: 0, end: 4, byte: 7 },
      { start: 96, end: 100, byte: 9 },
    ]);
    const q = fillRange(fillRange(undefined, 1000, 8, 7), 1100, 4, 9);
    expect(digestRuns(100, readRuns(p, 4, 100))).toBe(digestRuns(100, readRuns(q, 1004, 100)));
    expect(digestRuns(4, [])).not.toBe(digestRuns(5, []));
    expect(pageDigest(undefined)).toBe('6f1cff8a'); // FNV-1a of '4096|'
  });
  it('names the differing byte range of two pages', () => {
    const a = fillRange(undefined, 10, 10, 1);
    const b = fillRange(fillRange(undefined, 10, 10, 1), 15, 30, 2);
    expect(differingRange(a, b)).toEqual({ start: 15, end: 45 });
    expect(differingRange(a, a)).toBeNull();
    expect(differingRange(undefined, fillRange(undefined, 4095, 1, 3))).toEqual({
      start: 4095,
      end: 4096,
    });
  });
  it('bounds: a range is in the page iff off + len <= 4096', () => {
    expect(withinPage(4096, 0)).toBe(true);
    expect(withinPage(0, 4096)).toBe(true);
    expect(withinPage(4095, 2)).toBe(false);
    expect(withinPage(0, 4097)).toBe(false);
    expect(withinPage(4097, 0)).toBe(false);
  });
});

// d1 gfn 0 is MFN 0x104 (3 domains of 4 pages from 0x100).
const D1_PAGE = 0x104;

function outcome(sim: Sim, op: Op): string {
  const r = sim.run(op);
  return 'digest' in r ? `ok #${r.digest}` : 'outcome' in r ? r.outcome : 'status';
}

describe('write_page and read_page', () => {
  it('write through the p2m; reads digest exactly the bytes', () => {
    const sim = new Sim();
    expect(outcome(sim, { kind: 'write_page', dom: 1, gfn: 0, off: 4, len: 4, byte: 0xab })).toBe(
      'ok',
    );
    expect(sim.state.contents.get(D1_PAGE)?.key).toBe('4-8:ab');
    const read = outcome(sim, { kind: 'read_page', dom: 1, gfn: 0, off: 0, len: 8 });
    expect(read).toBe(`ok #${digestRuns(8, [{ start: 4, end: 8, byte: 0xab }])}`);
  });
  it('refuses an unbacked gfn before a range past the page, and writes nothing', () => {
    const sim = new Sim();
    const before = sim.state;
    expect(outcome(sim, { kind: 'write_page', dom: 1, gfn: 99, off: 4096, len: 1, byte: 1 })).toBe(
      'unbacked',
    );
    expect(outcome(sim, { kind: 'write_page', dom: 1, gfn: 0, off: 4096, len: 1, byte: 1 })).toBe(
      'out_of_page',
    );
    expect(outcome(sim, { kind: 'read_page', dom: 1, gfn: 0, off: 1, len: 4096 })).toBe(
      'out_of_page',
    );
    expect(outcome(sim, { kind: 'read_page', dom: 1, gfn: 99, off: 0, len: 1 })).toBe('unbacked');
    expect(sim.state).toBe(before);
  });
});

describe('write_mapped and read_mapped', () => {
  function mapped(ro: boolean): Sim {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 0, ro));
    sim.run(map(2, mapArgs(1, 8, HOST | (ro ? RO : 0), 0x5000)));
    return sim;
  }
  it("a writable mapping reaches the granter's frame", () => {
    const sim = mapped(false);
    const w = { kind: 'write_mapped', dom: 2, hostAddr: 0x5000, off: 0, len: 4096, byte: 0x5a };
    expect(outcome(sim, w as Op)).toBe('ok');
    expect(sim.state.contents.get(D1_PAGE)?.key).toBe('0-4096:5a');
    const mine = outcome(sim, { kind: 'read_page', dom: 1, gfn: 0, off: 0, len: 4096 });
    const theirs = outcome(sim, {
      kind: 'read_mapped',
      dom: 2,
      hostAddr: 0x5000,
      off: 0,
      len: 4096,
    });
    expect(theirs).toBe(mine);
  });
  it('a read-only mapping reads but refuses writes; an empty slot refuses both', () => {
    const sim = mapped(true);
    sim.run({ kind: 'write_page', dom: 1, gfn: 0, off: 0, len: 1, byte: 3 });
    const before = sim.state;
    const w = (hostAddr: number, off: number): Op => ({
      kind: 'write_mapped',
      dom: 2,
      hostAddr,
      off,
      len: 1,
      byte: 9,
    });
    expect(outcome(sim, w(0x5000, 0))).toBe('readonly');
    expect(outcome(sim, w(0x5000, 4096))).toBe('readonly');
    expect(outcome(sim, w(0x6000, 0))).toBe('no_mapping');
    expect(outcome(sim, { kind: 'read_mapped', dom: 2, hostAddr: 0x5000, off: 0, len: 1 })).toBe(
      `ok #${digestRuns(1, [{ start: 0, end: 1, byte: 3 }])}`,
    );
    expect(outcome(sim, { kind: 'read_mapped', dom: 2, hostAddr: 0x5000, off: 0, len: 4097 })).toBe(
      'out_of_page',
    );
    expect(outcome(sim, { kind: 'read_mapped', dom: 1, hostAddr: 0x5000, off: 0, len: 1 })).toBe(
      'no_mapping',
    );
    expect(sim.state).toBe(before);
  });
});

describe('contents and transfer', () => {
  it('a transferred page keeps its bytes (they belong to the frame)', () => {
    const sim = new Sim(makeConfig());
    sim.run({ kind: 'grant_transfer', dom: 2, ref: 9, grantee: 1, gfn: 7 });
    sim.run({ kind: 'write_page', dom: 1, gfn: 0, off: 0, len: 2, byte: 0x11 });
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([0]);
    expect(sim.state.contents.get(D1_PAGE)?.key).toBe('0-2:11');
    expect(outcome(sim, { kind: 'read_page', dom: 2, gfn: 7, off: 0, len: 2 })).toBe(
      `ok #${digestRuns(2, [{ start: 0, end: 2, byte: 0x11 }])}`,
    );
  });
  it('a page freed by a failed transfer is scrubbed', () => {
    const sim = new Sim();
    sim.run({ kind: 'write_page', dom: 1, gfn: 0, off: 0, len: 2, byte: 0x11 });
    expect(sim.transfer(transfer(1, 0, 2, 9))).not.toEqual([0]); // no accepting entry
    expect(sim.state.frameOwner.has(D1_PAGE)).toBe(false);
    expect(sim.state.contents.has(D1_PAGE)).toBe(false);
  });
});
