// The frame table's two part versions (src/impl/hypervisor/mm.ts): pagesVersion for owners and
// reference counts, ghostVersion for the ghost permits and labels. The invariants that read only
// the first (`frames`) are not re-run after a store that only labelled a frame, so each write
// must renew exactly its own, and a restore must bring both back with their contents.
import { describe, expect, it } from 'vitest';
import { FrameTable } from '../../../src/impl/hypervisor/mm.ts';

describe('FrameTable part versions', () => {
  it('an owner or count write renews pagesVersion, a ghost write ghostVersion, each alone', () => {
    const t = new FrameTable(0x100, 4);
    const v = () => ({ all: t.version, pages: t.pagesVersion, ghost: t.ghostVersion });
    let before = v();
    t.setOwner(0x100, 1);
    expect(v().pages).not.toBe(before.pages);
    expect(v().all).not.toBe(before.all);
    expect(v().ghost).toBe(before.ghost);
    for (const write of [() => t.setRefs(0x101, 3), () => t.setWritableTypes(0x101, 1)]) {
      before = v();
      write();
      expect(v().pages).not.toBe(before.pages);
      expect(v().ghost).toBe(before.ghost);
    }
    for (const write of [
      () => t.permit(0x100, 2, false),
      () => t.recordStore(0x100, 0x102, 2), // d2 stores into d1's frame: a label
      () => t.transferred(0x100, 2),
      () => t.scrub(0x100),
    ]) {
      before = v();
      write();
      expect(v().ghost).not.toBe(before.ghost);
      expect(v().all).not.toBe(before.all);
      expect(v().pages).toBe(before.pages);
    }
  });

  it('a restore brings back both versions with the contents they name', () => {
    const t = new FrameTable(0x100, 4);
    t.setOwner(0x100, 1);
    t.permit(0x100, 2, true);
    const saved = t.save();
    const at = { pages: t.pagesVersion, ghost: t.ghostVersion };
    t.setOwner(0x100, 2);
    t.permit(0x101, 2, true);
    t.load(saved);
    expect({ pages: t.pagesVersion, ghost: t.ghostVersion }).toEqual(at);
    expect(t.ownerOf(0x100)).toBe(1);
    expect(t.permitsOf(0x101)).toBe(0);
  });
});
