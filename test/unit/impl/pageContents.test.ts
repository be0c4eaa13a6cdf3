import { describe, expect, it } from 'vitest';
import { abstract } from '../../../src/impl/index.ts';
import { abstractUncached } from '../../../src/impl/abstract.ts';
import { initialState, statesEqual } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import { makeConfig } from '../../../src/config.ts';
import type { Op } from '../../../src/ops/op.ts';
import { DOMID_SELF, GNTCOPY_source_gref, PAGE_SIZE } from '../../../src/xen/abi.ts';
import { copySourcePastPageEnd } from '../../../src/faults/copySourcePastPageEnd.ts';
import { randomOp, walkWithSnapshots } from './randomOps.ts';
import { system } from './helpers.ts';

const D1_PAGE = 0x104;

/** Page ops over the tiny space of randomOp: gfns 0..4, the host pages randomOp maps at, and
 * the boundary offsets and lengths. */
function pageOp(r: (n: number) => number): Op {
  const bounds = [0, 1, 7, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1];
  const dom = r(3);
  const off = bounds[r(bounds.length)] ?? 0;
  const len = bounds[r(bounds.length)] ?? 0;
  const byte = [0, 1, 0xab][r(3)] ?? 0;
  switch (r(4)) {
    case 0:
      return { kind: 'write_page', dom, gfn: r(5), off, len, byte };
    case 1:
      return { kind: 'read_page', dom, gfn: r(5), off, len };
    case 2:
      return { kind: 'write_mapped', dom, hostAddr: r(4) * PAGE_SIZE, off, len, byte };
    default:
      return { kind: 'read_mapped', dom, hostAddr: r(4) * PAGE_SIZE, off, len };
  }
}

describe('page contents in the impl', () => {
  it('real bytes: a write lands in the frame, a read digests it, as the model says', () => {
    const s = system();
    expect(s.apply({ kind: 'write_page', dom: 1, gfn: 0, off: 4095, len: 1, byte: 0xff })).toEqual({
      kind: 'write_page',
      outcome: 'ok',
    });
    expect(s.xen.frames.bytesOf(D1_PAGE)?.[4095]).toBe(0xff);
    expect(s.xen.frames.bytesOf(D1_PAGE + 1)).toBeUndefined(); // never written: not allocated
    expect(abstract(s).contents.get(D1_PAGE)?.key).toBe('4095-4096:ff');
  });

  it('agrees with the model, and abstract() with its uncached form, across snapshots', () => {
    const config = makeConfig();
    for (const seed of [11, 12, 13, 14]) {
      const s = system();
      const pick = (r: (n: number) => number, model: ModelState): Op =>
        r(2) === 0 ? pageOp(r) : randomOp(r, model);
      walkWithSnapshots(s, initialState(config), seed, 400, pick, (model, where) => {
        expect(abstract(s), where).toEqual(abstractUncached(s));
        expect(statesEqual(abstract(s), model), where).toBe(true);
      });
    }
  });

  it('a snapshot keeps its bytes when the page is written after it (copy on write)', () => {
    const s = system();
    s.apply({ kind: 'write_page', dom: 1, gfn: 0, off: 0, len: 8, byte: 1 });
    const snap = s.snapshot();
    const before = abstract(s).contents;
    s.apply({ kind: 'write_page', dom: 1, gfn: 0, off: 0, len: 8, byte: 2 });
    expect(abstract(s).contents.get(D1_PAGE)?.key).toBe('0-8:2');
    s.restore(snap);
    expect(abstract(s).contents.get(D1_PAGE)?.key).toBe('0-8:1');
    expect(abstract(s).contents).toEqual(before);
    s.apply({ kind: 'write_page', dom: 1, gfn: 0, off: 0, len: 8, byte: 3 });
    s.restore(snap);
    expect(s.xen.frames.bytesOf(D1_PAGE)?.[0]).toBe(1);
  });
});

describe('the copy-source-past-page-end fault', () => {
  it('hands the caller a byte of the next frame, which the grant did not cover', () => {
    const s = system({}, copySourcePastPageEnd.parts);
    s.apply({ kind: 'write_page', dom: 1, gfn: 1, off: 0, len: 1, byte: 0x99 }); // mfn 0x105
    s.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: true });
    const r = s.apply({
      kind: 'copy',
      caller: 2,
      batch: [
        {
          source: { u: 8, domid: 1, offset: PAGE_SIZE - 1 },
          dest: { u: 0, domid: DOMID_SELF, offset: 0 },
          len: 2,
          flags: GNTCOPY_source_gref,
        },
      ],
    });
    expect(r).toEqual({ kind: 'copy', statuses: [0] });
    expect(abstract(s).contents.get(0x108)?.key).toBe('1-2:99');
  });

  it('a source range that starts past its page reads the next frame (a fresh seed crashed here)', () => {
    const s = system({}, copySourcePastPageEnd.parts);
    s.apply({ kind: 'write_page', dom: 1, gfn: 1, off: 1, len: 1, byte: 0xab }); // mfn 0x105
    s.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: true });
    const r = s.apply({
      kind: 'copy',
      caller: 2,
      batch: [
        {
          source: { u: 8, domid: 1, offset: PAGE_SIZE + 1 },
          dest: { u: 0, domid: DOMID_SELF, offset: 0 },
          len: 1,
          flags: GNTCOPY_source_gref,
        },
      ],
    });
    expect(r).toEqual({ kind: 'copy', statuses: [0] });
    expect(abstract(s).contents.get(0x108)?.key).toBe('0-1:ab');
  });
});
