import { describe, expect, it } from 'vitest';
import { SharedGrantMemory } from '../../../src/impl/index.ts';
import type { SharedAccess } from '../../../src/impl/index.ts';
import { combo, comboDomid, comboFlags } from '../../../src/impl/sharedMemory.ts';
import { GTF_reading, GTF_writing, PAGE_SIZE, SHGNT_PER_PAGE_V1 } from '../../../src/xen/abi.ts';

/** The table's raw bytes, for checking the ABI layout. */
function bytes(mem: SharedGrantMemory): Uint8Array {
  return new Uint8Array(mem.words.buffer);
}

describe('SharedGrantMemory: struct grant_entry_v1 layout', () => {
  it('has 512 entries of 8 bytes per frame', () => {
    const mem = new SharedGrantMemory(1);
    expect(mem.nrEntries).toBe(SHGNT_PER_PAGE_V1);
    expect(mem.words.byteLength).toBe(PAGE_SIZE);
  });

  it('puts flags at byte 0, domid at 2, frame at 4 (little-endian)', () => {
    const mem = new SharedGrantMemory(1);
    mem.storeFlags(3, 0x1234);
    mem.storeDomid(3, 0xabcd);
    mem.storeFrame(3, 0x89abcdef);
    const b = bytes(mem).subarray(3 * 8, 4 * 8);
    expect([...b]).toEqual([0x34, 0x12, 0xcd, 0xab, 0xef, 0xcd, 0xab, 0x89]);
    // Neighbours untouched.
    expect([...bytes(mem).subarray(2 * 8, 3 * 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...bytes(mem).subarray(4 * 8, 5 * 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('reads flags+domid as one 32-bit grant_combo word, flags in the low half', () => {
    const mem = new SharedGrantMemory(1);
    mem.storeFlags(9, 0x0019);
    mem.storeDomid(9, 2);
    const word = mem.loadCombo(9);
    expect(word).toBe(0x00020019);
    expect(comboFlags(word)).toBe(0x19);
    expect(comboDomid(word)).toBe(2);
    expect(combo(0x19, 2)).toBe(word);
  });

  it('stores a whole entry with one 8-byte store', () => {
    const mem = new SharedGrantMemory(1);
    mem.storeEntry(1, 0xffff, 0xfffe, 0xffffffff);
    expect(mem.loadFlags(1)).toBe(0xffff);
    expect(mem.loadDomid(1)).toBe(0xfffe);
    expect(mem.loadFrame(1)).toBe(0xffffffff);
  });
});

describe('SharedGrantMemory: atomics', () => {
  it('cmpxchgFlags swaps only on a match and returns the value seen', () => {
    const mem = new SharedGrantMemory(1);
    mem.storeFlags(8, 5);
    expect(mem.cmpxchgFlags(8, 4, 0)).toBe(5);
    expect(mem.loadFlags(8)).toBe(5);
    expect(mem.cmpxchgFlags(8, 5, 0)).toBe(5);
    expect(mem.loadFlags(8)).toBe(0);
  });

  it('cmpxchgCombo compares flags and domid together', () => {
    const mem = new SharedGrantMemory(1);
    mem.storeFlags(8, 1);
    mem.storeDomid(8, 2);
    // Same flags, other domid: fails.
    expect(mem.cmpxchgCombo(8, combo(1, 3), combo(9, 3))).toBe(combo(1, 2));
    expect(mem.loadFlags(8)).toBe(1);
    expect(mem.cmpxchgCombo(8, combo(1, 2), combo(9, 2))).toBe(combo(1, 2));
    expect(mem.loadFlags(8)).toBe(9);
    expect(mem.loadDomid(8)).toBe(2);
  });

  it('clearFlags ANDs out only the given bits (gnttab_clear_flags)', () => {
    const mem = new SharedGrantMemory(1);
    mem.storeFlags(8, 0x1 | GTF_reading | GTF_writing | 0x80);
    mem.clearFlags(8, GTF_writing);
    expect(mem.loadFlags(8)).toBe(0x1 | GTF_reading | 0x80);
  });
});

describe('SharedGrantMemory: growth, save/load, hook', () => {
  it('grows by whole zeroed frames and keeps old entries', () => {
    const mem = new SharedGrantMemory(1);
    mem.storeFrame(511, 77);
    mem.grow(2);
    expect(mem.nrEntries).toBe(1024);
    expect(mem.loadFrame(511)).toBe(77);
    expect(mem.loadFrame(512)).toBe(0);
    mem.grow(1); // never shrinks
    expect(mem.nrFrames).toBe(2);
  });

  it('loads a saved copy, including one of another size', () => {
    const mem = new SharedGrantMemory(1);
    mem.storeFrame(8, 1);
    const saved = mem.save();
    mem.grow(2);
    mem.storeFrame(8, 2);
    mem.load(saved);
    expect(mem.nrFrames).toBe(1);
    expect(mem.loadFrame(8)).toBe(1);
  });

  it('reports every access to the hook, in order', () => {
    const mem = new SharedGrantMemory(1);
    const seen: SharedAccess[] = [];
    mem.hook = (a) => seen.push(a);
    mem.storeDomid(8, 1);
    mem.loadDomid(8);
    mem.storeFrame(8, 2);
    mem.loadFrame(8);
    mem.storeFlags(8, 4);
    mem.loadFlags(8);
    mem.loadCombo(8);
    mem.cmpxchgFlags(8, 0, 1);
    mem.cmpxchgCombo(8, 0, 1);
    mem.clearFlags(8, 1);
    mem.storeEntry(9, 0, 0, 0);
    expect(seen).toEqual([
      { kind: 'store', field: 'domid', ref: 8 },
      { kind: 'load', field: 'domid', ref: 8 },
      { kind: 'store', field: 'frame', ref: 8 },
      { kind: 'load', field: 'frame', ref: 8 },
      { kind: 'store', field: 'flags', ref: 8 },
      { kind: 'load', field: 'flags', ref: 8 },
      { kind: 'load', field: 'combo', ref: 8 },
      { kind: 'cmpxchg', field: 'flags', ref: 8 },
      { kind: 'cmpxchg', field: 'combo', ref: 8 },
      { kind: 'and', field: 'flags', ref: 8 },
      { kind: 'store', field: 'entry', ref: 9 },
    ]);
  });
});
