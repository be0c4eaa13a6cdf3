import { describe, expect, it } from 'vitest';
import { SharedGrantMemory } from '../../../src/impl/index.ts';
import { combo, comboDomid, comboFlags } from '../../../src/impl/sharedMemory.ts';
import { GTF_reading, GTF_writing, PAGE_SIZE, SHGNT_PER_PAGE_V1 } from '../../../src/xen/abi.ts';

/** The table's raw bytes, for checking the ABI layout. */
function bytes(mem: SharedGrantMemory): Uint8Array {
  return new Uint8Array(mem.words.buffer);
}

describe('SharedGrantMemory: struct grant_entry_v1 layout', () => {
  it('has 512 entries of 8 bytes per frame', () => {
    const mem = new SharedGrantMemory(0, 1);
    expect(mem.nrEntries).toBe(SHGNT_PER_PAGE_V1);
    expect(mem.words.byteLength).toBe(PAGE_SIZE);
  });

  it('puts flags at byte 0, domid at 2, frame at 4 (little-endian)', () => {
    const mem = new SharedGrantMemory(0, 1);
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
    const mem = new SharedGrantMemory(0, 1);
    mem.storeFlags(9, 0x0019);
    mem.storeDomid(9, 2);
    const word = mem.loadCombo(9);
    expect(word).toBe(0x00020019);
    expect(comboFlags(word)).toBe(0x19);
    expect(comboDomid(word)).toBe(2);
    expect(combo(0x19, 2)).toBe(word);
  });

  it('stores a whole entry with one 8-byte store', () => {
    const mem = new SharedGrantMemory(0, 1);
    mem.storeEntry(1, 0xffff, 0xfffe, 0xffffffff);
    expect(mem.inspect(1).flags).toBe(0xffff);
    expect(mem.inspect(1).domid).toBe(0xfffe);
    expect(mem.inspect(1).frame).toBe(0xffffffff);
  });
});

describe('SharedGrantMemory: atomics', () => {
  it('cmpxchgFlags swaps only on a match and returns the value seen', () => {
    const mem = new SharedGrantMemory(0, 1);
    mem.storeFlags(8, 5);
    expect(mem.cmpxchgFlags(8, 4, 0)).toBe(5);
    expect(mem.inspect(8).flags).toBe(5);
    expect(mem.cmpxchgFlags(8, 5, 0)).toBe(5);
    expect(mem.inspect(8).flags).toBe(0);
  });

  it('cmpxchgCombo compares flags and domid together', () => {
    const mem = new SharedGrantMemory(0, 1);
    mem.storeFlags(8, 1);
    mem.storeDomid(8, 2);
    // Same flags, other domid: fails.
    expect(mem.cmpxchgCombo(8, combo(1, 3), combo(9, 3))).toBe(combo(1, 2));
    expect(mem.inspect(8).flags).toBe(1);
    expect(mem.cmpxchgCombo(8, combo(1, 2), combo(9, 2))).toBe(combo(1, 2));
    expect(mem.inspect(8).flags).toBe(9);
    expect(mem.inspect(8).domid).toBe(2);
  });

  it('clearFlags ANDs out only the given bits (gnttab_clear_flags)', () => {
    const mem = new SharedGrantMemory(0, 1);
    mem.storeFlags(8, 0x1 | GTF_reading | GTF_writing | 0x80);
    mem.clearFlags(8, GTF_writing);
    expect(mem.inspect(8).flags).toBe(0x1 | GTF_reading | 0x80);
  });
});

describe('SharedGrantMemory: growth, save/load, pauses', () => {
  it('grows by whole zeroed frames and keeps old entries', () => {
    const mem = new SharedGrantMemory(0, 1);
    mem.storeFrame(511, 77);
    mem.grow(2);
    expect(mem.nrEntries).toBe(1024);
    expect(mem.inspect(511).frame).toBe(77);
    expect(mem.inspect(512).frame).toBe(0);
    mem.grow(1); // never shrinks
    expect(mem.nrFrames).toBe(2);
  });

  it('loads a saved copy, including one of another size', () => {
    const mem = new SharedGrantMemory(0, 1);
    mem.storeFrame(8, 1);
    const saved = mem.save();
    mem.grow(2);
    mem.storeFrame(8, 2);
    mem.load(saved);
    expect(mem.nrFrames).toBe(1);
    expect(mem.inspect(8).frame).toBe(1);
  });

  it('saves up to its last entry not all zero, and loads the zeros past it back', () => {
    const mem = new SharedGrantMemory(0, 1);
    expect(mem.save().words.length).toBe(0);
    mem.storeFrame(3, 7);
    const saved = mem.save();
    expect(saved.words.length).toBe(8); // entries 0..3, two words each
    expect(saved.length).toBe(SHGNT_PER_PAGE_V1 * 2);
    // loaded over other contents (a scan), and again over what was written since (the log)
    mem.storeFrame(300, 9);
    mem.storeFrame(3, 8);
    mem.load(saved);
    expect([mem.inspect(3).frame, mem.inspect(300).frame]).toEqual([7, 0]);
    mem.storeFrame(400, 2); // now the log names it: written since this copy was loaded
    mem.load(saved);
    expect(mem.inspect(400).frame).toBe(0);
    const other = new SharedGrantMemory(0, 1);
    other.storeFrame(511, 5);
    other.load(saved);
    expect([other.inspect(3).frame, other.inspect(511).frame]).toEqual([7, 0]);
    // a larger table restored to the saved size: zero past the copy, too
    other.grow(2);
    other.storeFrame(600, 1);
    other.load(saved);
    expect(other.nrEntries).toBe(SHGNT_PER_PAGE_V1);
    expect(bytes(other).every((b, i) => b === 0 || (i >= 24 && i < 32))).toBe(true);
  });

  it('describes each access as the pause an op yields before it', () => {
    const mem = new SharedGrantMemory(3, 1);
    const pause = (access: string, field: string) => ({
      kind: 'shared',
      access,
      field,
      dom: 3,
      ref: 8,
    });
    expect(mem.before('loadFlags', 8)).toEqual(pause('load', 'flags'));
    expect(mem.before('loadDomid', 8)).toEqual(pause('load', 'domid'));
    expect(mem.before('loadFrame', 8)).toEqual(pause('load', 'frame'));
    expect(mem.before('loadCombo', 8)).toEqual(pause('load', 'combo'));
    expect(mem.before('loadEntry', 8)).toEqual(pause('load', 'entry'));
    expect(mem.before('storeFlags', 8)).toEqual(pause('store', 'flags'));
    expect(mem.before('storeDomid', 8)).toEqual(pause('store', 'domid'));
    expect(mem.before('storeFrame', 8)).toEqual(pause('store', 'frame'));
    expect(mem.before('storeEntry', 8)).toEqual(pause('store', 'entry'));
    expect(mem.before('cmpxchgFlags', 8)).toEqual(pause('cmpxchg', 'flags'));
    expect(mem.before('cmpxchgCombo', 8)).toEqual(pause('cmpxchg', 'combo'));
    expect(mem.before('clearFlags', 8)).toEqual(pause('and', 'flags'));
  });

  it('counts its accesses and remembers the last one', () => {
    const mem = new SharedGrantMemory(3, 1);
    mem.storeFlags(8, 1);
    mem.inspect(8); // not an access
    mem.cmpxchgCombo(9, 0, 1);
    expect(mem.accesses).toBe(2);
    expect([mem.lastAccess, mem.lastAccessRef]).toEqual(['cmpxchgCombo', 9]);
    // A pause is made once per access and entry, and handed out again.
    expect(mem.before('loadFlags', 8)).toBe(mem.before('loadFlags', 8));
    expect(mem.before('loadFlags', 8)).not.toBe(mem.before('loadFlags', 9));
  });
});
