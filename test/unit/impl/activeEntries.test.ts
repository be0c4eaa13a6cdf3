// ActiveEntries' saved copies (src/impl/hypervisor/grantTable.ts): only the entries up to the
// last one in use are copied, and loading a copy writes zeros past its end, whichever way the
// load finds what differs (the touch log since the same copy, or a scan).
import { describe, expect, it } from 'vitest';
import { ActiveEntries } from '../../../src/impl/hypervisor/grantTable.ts';

function entries(a: ActiveEntries, refs: readonly number[]): [number, number, number][] {
  return refs.map((r) => [a.pinOf(r), a.mfnOf(r), a.domidOf(r)]);
}

describe('ActiveEntries: save and load', () => {
  it('saves up to the last entry in use', () => {
    const a = new ActiveEntries(512);
    expect(a.save()).toMatchObject({ nrEntries: 512, used: 0 });
    a.setHolder(5, 1, 0x42);
    expect(a.save()).toMatchObject({ used: 6 });
    expect(a.save().bytes.byteLength).toBe(60);
    a.setPin(9, 0x100);
    expect(a.save()).toMatchObject({ used: 10 });
  });

  it('loads zeros past the copy, over other contents and over what was written since', () => {
    const a = new ActiveEntries(512);
    a.setHolder(2, 1, 0x42);
    a.setPin(2, 0x101);
    const saved = a.save();
    a.setPin(2, 0x202);
    a.setHolder(300, 1, 0x43);
    a.setPin(300, 0x101);
    expect(a.loaded(saved)).toBe(a);
    expect(entries(a, [2, 300])).toEqual([
      [0x101, 0x42, 1],
      [0, 0, 0],
    ]);
    a.setHolder(400, 1, 7); // written since the copy was loaded: the log names it
    a.loaded(saved);
    expect(entries(a, [400])).toEqual([[0, 0, 0]]);
    const other = new ActiveEntries(512);
    other.setPin(511, 1);
    other.loaded(saved);
    expect(entries(other, [2, 511])).toEqual([
      [0x101, 0x42, 1],
      [0, 0, 0],
    ]);
  });

  it('loads a copy of another size into a new table of that size', () => {
    const small = new ActiveEntries(512);
    small.setHolder(1, 3, 9);
    const saved = small.save();
    const big = small.grown(1024);
    big.setPin(700, 1);
    const back = big.loaded(saved);
    expect(back.nrEntries).toBe(512);
    expect(entries(back, [1, 511])).toEqual([
      [0, 9, 3],
      [0, 0, 0],
    ]);
  });
});
