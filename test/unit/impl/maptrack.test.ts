import { describe, expect, it } from 'vitest';
import { abstract } from '../../../src/impl/index.ts';
import {
  ByMaptrackContent,
  getMaptrackHandle as getSteps,
  INVALID_MAPTRACK_HANDLE,
  MaptrackTable,
  putMaptrackHandle as putSteps,
} from '../../../src/impl/hypervisor/maptrack.ts';
import { runToEnd } from '../../../src/impl/steps.ts';
import {
  GNTMAP_device_map,
  GNTMAP_readonly,
  GNTST_bad_gntref,
  MAPTRACK_TAIL,
} from '../../../src/xen/abi.ts';
import { grant, handleOf, map1, system } from './helpers.ts';

function walk(t: MaptrackTable): number[] {
  const list: number[] = [];
  for (let h = t.head; h !== MAPTRACK_TAIL; h = t.ref(h)) list.push(h);
  return list;
}

const getMaptrackHandle = (t: MaptrackTable, vcpu = 0): number => runToEnd(getSteps(t, vcpu));
const putMaptrackHandle = (t: MaptrackTable, handle: number): void => runToEnd(putSteps(t, handle));

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

describe('maptrack handles (get/put_maptrack_handle)', () => {
  it('hands out 0..254, then 256 from a new frame; the queue is 257..511, 255', () => {
    const t = new MaptrackTable(2);
    const got = Array.from({ length: 256 }, () => getMaptrackHandle(t));
    expect(got).toEqual([...range(0, 255), 256]);
    expect(t.limit).toBe(512);
    expect(walk(t)).toEqual([...range(257, 512), 255]);
    expect(t.tail).toBe(255);
  });

  it('never hands out the last entry, and says so when out of frames', () => {
    const t = new MaptrackTable(1);
    for (let i = 0; i < 255; i++) expect(getMaptrackHandle(t)).toBe(i);
    expect(getMaptrackHandle(t)).toBe(INVALID_MAPTRACK_HANDLE);
    expect(walk(t)).toEqual([255]);
  });

  it('appends freed handles at the tail (FIFO)', () => {
    const t = new MaptrackTable(1);
    const a = getMaptrackHandle(t);
    const b = getMaptrackHandle(t);
    putMaptrackHandle(t, b);
    putMaptrackHandle(t, a);
    expect(walk(t)).toEqual([...range(2, 256), 1, 0]);
    expect(t.tail).toBe(0);
  });

  it('through map_grant_ref: 256 device maps get 0..254 and 256', () => {
    const s = system({ maxMaptrackFrames: 2 });
    const handles: number[] = [];
    for (let i = 0; i < 256; i++) {
      grant(s, 1, 8 + i, 2, 0, true);
      const flags = GNTMAP_device_map | GNTMAP_readonly;
      handles.push(handleOf(map1(s, 2, { dom: 1, ref: 8 + i, flags, hostAddr: 0 })));
    }
    expect(handles).toEqual([...range(0, 255), 256]);
    const mt = abstract(s).domains[2]?.maptrack;
    expect(mt?.freeList.toArray()).toEqual([...range(257, 512), 255]);
    expect(mt?.limit).toBe(512);
    expect(mt?.mappings.size).toBe(256);
  });

  it('a failed map takes a handle (growing the table) and re-appends it', () => {
    const s = system();
    const r = map1(s, 2, { dom: 1, ref: 600, flags: GNTMAP_device_map, hostAddr: 0 });
    expect(r.status).toBe(GNTST_bad_gntref);
    const mt = abstract(s).domains[2]?.maptrack;
    expect(mt?.limit).toBe(256);
    expect(mt?.freeList.toArray()).toEqual([...range(1, 256), 0]);
    grant(s, 1, 8, 2, 0, true);
    const flags = GNTMAP_device_map | GNTMAP_readonly;
    expect(handleOf(map1(s, 2, { dom: 1, ref: 8, flags, hostAddr: 0 }))).toBe(1);
  });
});

describe("a maptrack frame's room, kept across a restore to fewer frames", () => {
  it('a frame published again after the restore is cleared (clear_page), and a saved copy is the table alone', () => {
    const t = new MaptrackTable(2);
    const empty = t.save();
    expect(getMaptrackHandle(t)).toBe(0);
    t.setFlags(0, GNTMAP_device_map);
    t.setDomid(0, 1);
    const one = t.save();
    expect(one.bytes).toBe(256 * 16);
    // only the entries unlike a fresh frame's: handle 0 (mapped) and 255 (the list's tail)
    expect(one.changed.length).toBeLessThanOrEqual(2 * 5);
    t.load(empty);
    expect(t.limit).toBe(0);
    expect(t.flags(0)).toBe(0);
    expect(t.save().bytes).toBe(0);
    // the frame again, in the room the first one left: as fresh as the first
    expect(getMaptrackHandle(t)).toBe(0);
    expect(range(0, 256).map((h) => t.flags(h) | t.domid(h))).toEqual(range(0, 256).map(() => 0));
    expect(walk(t)).toEqual(range(1, 256));
    // and back to the copy with the map in it
    t.load(one);
    expect([t.flags(0), t.domid(0)]).toEqual([GNTMAP_device_map, 1]);
  });
});

describe('a saved copy holds what differs from fresh frames, and loads back exactly', () => {
  /** Every word of every entry, and the lists' ends. */
  const contents = (t: MaptrackTable) => ({
    limit: t.limit,
    ends: [t.headOf(0), t.tailOf(0), t.headOf(1), t.tailOf(1)],
    entries: range(0, t.limit).map((h) => [t.ref(h), t.flags(h), t.domid(h), t.vcpu(h)]),
  });

  /** Each entry that differs from a freshly linked one (ref = next handle, other words 0),
   * found by reading every entry: [handle, its four words]... */
  const notFresh = (t: MaptrackTable): number[] => {
    const out: number[] = [];
    const w = t.words;
    for (let h = 0; 4 * h < w.length; h++) {
      const e = [w[4 * h], w[4 * h + 1], w[4 * h + 2], w[4 * h + 3]].map((x) => x ?? 0);
      if (e[0] !== h + 1 || e[1] !== 0 || e[2] !== 0 || e[3] !== 0) out.push(h, ...e);
    }
    return out;
  };

  it('each setter alone makes its entry one a copy holds, and a write back to fresh does not', () => {
    const writes: [string, (t: MaptrackTable, h: number, fresh: boolean) => void][] = [
      ['ref', (t, h, fresh) => t.setRef(h, fresh ? h + 1 : 7)],
      ['flags', (t, h, fresh) => t.setFlags(h, fresh ? 0 : GNTMAP_device_map)],
      ['domid', (t, h, fresh) => t.setDomid(h, fresh ? 0 : 3)],
      ['vcpu', (t, h, fresh) => t.setVcpu(h, fresh ? 0 : 1)],
    ];
    for (const [name, write] of writes) {
      const t = new MaptrackTable(1);
      getMaptrackHandle(t);
      const before = t.save();
      const hash = t.contentHash();
      write(t, 5, false);
      expect([...t.save().changed], name).toEqual(notFresh(t));
      expect(t.save().changed.length, name).toBe(before.changed.length + 5);
      expect(t.sameContent(before), name).toBe(false);
      write(t, 5, true);
      expect([...t.save().changed], name).toEqual([...before.changed]);
      expect(t.sameContent(before), name).toBe(true);
      // the lists' ends are content too
      const [head, tail] = [t.head, t.tail];
      t.tail = 9;
      expect(t.sameContent(before), name).toBe(false);
      t.tail = tail;
      t.head = 9;
      expect(t.sameContent(before), name).toBe(false);
      t.head = head;
      expect(t.sameContent(before), name).toBe(true);
      expect(t.contentHash(), name).toBe(hash);
      expect(t.handlesInUse(t.limit), name).toEqual([]);
    }
  });

  it('a frame published and not yet linked is copied as zeroed entries; a release leaves none', () => {
    const t = new MaptrackTable(2);
    getMaptrackHandle(t);
    t.addFrame(); // as get_maptrack_handle publishes a frame, before it links it
    expect(t.save().changed.length).toBe(notFresh(t).length);
    expect([...t.save().changed]).toEqual(notFresh(t));
    expect(notFresh(t).length).toBeGreaterThan(256 * 5);
    t.linkNewFrame(256, 0);
    expect([...t.save().changed]).toEqual(notFresh(t));
    t.release();
    expect([...t.save().changed]).toEqual([]);
    expect(t.handlesInUse(512)).toEqual([]);
  });

  it('values kept by content are found for the same content only, of a table of the same bounds', () => {
    const kept = new ByMaptrackContent<string>();
    const a = new MaptrackTable(2);
    const b = new MaptrackTable(2);
    const other = new MaptrackTable(3); // another frame bound: its maptrack state differs
    for (const t of [a, b, other]) getMaptrackHandle(t);
    kept.set(a, 'a');
    expect(kept.get(b)).toBe('a');
    expect(kept.get(other)).toBeUndefined();
    b.setDomid(0, 1);
    expect(kept.get(b)).toBeUndefined();
    b.setDomid(0, 0);
    expect(kept.get(b)).toBe('a');
    // derived: made once per content
    let made = 0;
    const make = () => `made ${++made}`;
    expect(kept.derived(other, make)).toBe('made 1');
    expect(kept.derived(other, make)).toBe('made 1');
    expect(kept.derived(b, make)).toBe('a');
    expect(made).toBe(1);
  });

  it('a value kept for one content is not found for another content of the same hash', () => {
    // Every table hashes alike here: only the comparison of contents tells them apart (the
    // free-list verdicts and abstract()'s maptracks kept by content rely on it).
    class OneHash extends MaptrackTable {
      override contentHash(): number {
        return 7;
      }
    }
    const kept = new ByMaptrackContent<string>();
    const a = new OneHash(2);
    const b = new OneHash(2);
    for (const t of [a, b]) getMaptrackHandle(t);
    b.setDomid(0, 1);
    kept.set(a, 'a');
    expect(kept.get(a)).toBe('a');
    expect(kept.get(b)).toBeUndefined();
    b.setDomid(0, 0);
    expect(kept.get(b)).toBe('a');
  });

  it('over a pinned random walk of gets, puts, writes, saves and loads (two vCPUs)', () => {
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const t = new MaptrackTable(3, 2);
    const copies: { saved: ReturnType<MaptrackTable['save']>; was: unknown; hash: number }[] = [];
    const held: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const r = next(10);
      if (r < 3) {
        const h = getMaptrackHandle(t, next(2));
        if (h !== INVALID_MAPTRACK_HANDLE) {
          held.push(h);
          t.setFlags(h, 1 + next(3));
          t.setDomid(h, next(4));
        }
      } else if (r < 5 && held.length > 0) {
        const h = held.splice(next(held.length), 1)[0] ?? 0;
        t.setFlags(h, 0);
        putMaptrackHandle(t, h);
      } else if (r < 7) {
        const saved = t.save();
        expect([...saved.changed]).toEqual(notFresh(t));
        copies.push({ saved, was: contents(t), hash: t.contentHash() });
      } else if (copies.length > 0) {
        const c = copies[next(copies.length)];
        if (c) {
          t.load(c.saved);
          expect(contents(t)).toEqual(c.was);
          expect(t.contentHash()).toBe(c.hash);
          // the same content as every copy it equals, and no other (against a few of them)
          for (const other of copies.slice(-8)) {
            const same = JSON.stringify(other.was) === JSON.stringify(c.was);
            expect(t.sameContent(other.saved)).toBe(same);
            if (same) expect(other.hash).toBe(c.hash);
          }
          held.length = 0;
          for (let h = 0; h < t.limit; h++) if (t.flags(h) !== 0) held.push(h);
        }
      }
    }
    // many contents, and (for this walk) no two with one hash
    const hashOf = new Map<string, number>();
    for (const c of copies) hashOf.set(JSON.stringify(c.was), c.hash);
    expect(hashOf.size).toBeGreaterThan(50);
    expect(new Set(hashOf.values()).size).toBe(hashOf.size);
    // the walk reached more than one frame, and copies far smaller than the frames
    const largest = Math.max(...copies.map((c) => c.saved.bytes));
    expect(largest).toBeGreaterThanOrEqual(2 * 256 * 16);
    const sizes = copies.map((c) => c.saved.changed.byteLength);
    expect(Math.min(...sizes)).toBeLessThan(256 * 16);
  });
});
