// Page contents in the model: an exact, abstract description of one frame's 4096 bytes as a
// normalized list of runs [start, end) with one byte value each, zero elsewhere. Sorted,
// non-overlapping, no zero-valued run, no two touching runs of the same value: so two pages
// hold the same bytes iff their runs are equal, and `key` (the runs as text) compares them.
// An all-zero page has no PageContents at all (ModelState.contents holds non-zero pages only).

import { PAGE_SIZE } from '../xen/abi.ts';

export interface Run {
  readonly start: number; // first byte, 0..PAGE_SIZE-1
  readonly end: number; // one past the last byte, start < end <= PAGE_SIZE
  readonly byte: number; // 1..255
}

export interface PageContents {
  readonly runs: readonly Run[];
  /** The runs as text ("0-16:ab,100-4096:3"): the canonical key, equal iff the bytes are. */
  readonly key: string;
}

/** Do bytes [off, off+len) lie within one page? (len 0 at off PAGE_SIZE does.) */
export function withinPage(off: number, len: number): boolean {
  return off >= 0 && len >= 0 && off + len <= PAGE_SIZE;
}

function runKey(r: Run): string {
  return `${r.start}-${r.end}:${r.byte.toString(16)}`;
}

/** The page holding `runs` (already normalized), or undefined for all zeros. */
export function pageOf(runs: readonly Run[]): PageContents | undefined {
  if (runs.length === 0) return undefined;
  return { runs, key: runs.map(runKey).join(',') };
}

/** Normalize: drop empty and zero runs, merge touching runs of one value. Input sorted and
 * non-overlapping. */
export function normalizeRuns(runs: readonly Run[]): Run[] {
  const out: Run[] = [];
  for (const r of runs) {
    if (r.end <= r.start || r.byte === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.end === r.start && last.byte === r.byte) {
      out[out.length - 1] = { start: last.start, end: r.end, byte: r.byte };
    } else {
      out.push(r);
    }
  }
  return out;
}

/** The runs of `page` clipped to [start, end), in page offsets. */
function clip(page: PageContents | undefined, start: number, end: number): Run[] {
  const out: Run[] = [];
  if (page === undefined) return out;
  for (const r of page.runs) {
    const s = Math.max(r.start, start);
    const e = Math.min(r.end, end);
    if (s < e) out.push({ start: s, end: e, byte: r.byte });
  }
  return out;
}

/** `page` with bytes [off, off+len) replaced by `runs` (given relative to `off`, within len). */
export function writeRuns(
  page: PageContents | undefined,
  off: number,
  len: number,
  runs: readonly Run[],
): PageContents | undefined {
  if (len === 0) return page;
  const end = off + len;
  const shifted = runs.map((r) => ({ start: r.start + off, end: r.end + off, byte: r.byte }));
  return pageOf(normalizeRuns([...clip(page, 0, off), ...shifted, ...clip(page, end, PAGE_SIZE)]));
}

/** `page` with bytes [off, off+len) set to `byte` (within the page: off + len <= PAGE_SIZE). */
export function fillRange(
  page: PageContents | undefined,
  off: number,
  len: number,
  byte: number,
): PageContents | undefined {
  return writeRuns(page, off, len, [{ start: 0, end: len, byte: byte & 0xff }]);
}

/** `page` after Xen's x86 memcpy (xen/arch/x86/string.c: `rep movsq`, then `rep movsb`) of
 * `len` bytes from offset `src` to offset `dst` of the same page: forward, 8 bytes at a time,
 * then the remaining bytes one by one, each unit reading what the units before it wrote. Where
 * the ranges do not overlap, or `dst` < `src`, this is memmove's result. Both ranges within the
 * page. */
export function memcpyWithinPage(
  page: PageContents | undefined,
  src: number,
  dst: number,
  len: number,
): PageContents | undefined {
  if (len === 0) return page;
  const bytes = new Uint8Array(PAGE_SIZE);
  for (const r of page?.runs ?? []) bytes.fill(r.byte, r.start, r.end);
  const words = Math.floor(len / 8);
  // copyWithin moves one 8-byte unit as a whole: all of it is read before any of it is written
  for (let w = 0; w < words; w++) bytes.copyWithin(dst + 8 * w, src + 8 * w, src + 8 * w + 8);
  for (let i = 8 * words; i < len; i++) bytes[dst + i] = bytes[src + i] ?? 0;
  const runs: Run[] = [];
  for (let i = 0; i < PAGE_SIZE;) {
    const v = bytes[i] ?? 0;
    let j = i + 1;
    while (j < PAGE_SIZE && bytes[j] === v) j++;
    if (v !== 0) runs.push({ start: i, end: j, byte: v });
    i = j;
  }
  return pageOf(runs);
}

/** The bytes [off, off+len) of `page` as normalized runs relative to `off`. */
export function readRuns(page: PageContents | undefined, off: number, len: number): Run[] {
  return clip(page, off, off + len).map((r) => ({
    start: r.start - off,
    end: r.end - off,
    byte: r.byte,
  }));
}

/** A short digest of `len` bytes given as normalized runs relative to their start: FNV-1a
 * (32 bits) over the length and the runs' text, 8 hex digits. Equal bytes, equal digest. */
export function digestRuns(len: number, runs: readonly Run[]): string {
  let h = 0x811c9dc5;
  const text = `${len}|${runs.map(runKey).join(',')}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The digest of a whole page (all zero: the digest of no runs). */
export function pageDigest(page: PageContents | undefined): string {
  return digestRuns(PAGE_SIZE, page?.runs ?? []);
}

/** The byte at `offset` of `page`. */
export function byteAt(page: PageContents | undefined, offset: number): number {
  if (page === undefined) return 0;
  for (const r of page.runs) {
    if (offset < r.start) return 0;
    if (offset < r.end) return r.byte;
  }
  return 0;
}

/** The first and last differing bytes of two pages as a range [start, end), or null if equal. */
export function differingRange(
  a: PageContents | undefined,
  b: PageContents | undefined,
): { readonly start: number; readonly end: number } | null {
  if ((a?.key ?? '') === (b?.key ?? '')) return null;
  // A difference can only begin or end at a run boundary of either page.
  const bounds = new Set<number>([0, PAGE_SIZE]);
  for (const r of [...(a?.runs ?? []), ...(b?.runs ?? [])]) {
    bounds.add(r.start);
    bounds.add(r.end);
  }
  const points = [...bounds].sort((x, y) => x - y);
  let start = -1;
  let end = -1;
  for (let i = 0; i + 1 < points.length; i++) {
    const s = points[i] ?? 0;
    const e = points[i + 1] ?? 0;
    if (byteAt(a, s) !== byteAt(b, s)) {
      if (start < 0) start = s;
      end = e;
    }
  }
  return start < 0 ? null : { start, end };
}

/** "4096 bytes: 0-16:ab,…" shortened: the digest and the number of runs. */
export function formatPage(page: PageContents | undefined): string {
  const runs = page?.runs ?? [];
  if (runs.length === 0) return 'zero';
  const shown = runs.length <= 3 ? runs.map(runKey).join(',') : `${runs.length} runs`;
  return `#${pageDigest(page)} (${shown})`;
}
