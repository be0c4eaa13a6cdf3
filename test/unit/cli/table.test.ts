// The terminal-width table layout (src/cli/table.ts): lines fit the width, long cells lose their
// middle and never their ends, kept rows (the failing step) lose nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { terminalWidth } from '../../../src/cli/outcome.ts';
import { fitWidths, layoutTable, wrapLine } from '../../../src/cli/table.ts';

const OP = 'map(d2: d1 ref=8 host|ro @0x1000; d1 ref=9 host|ro @0x2000; d1 ref=10 dev @0x0)';

describe('fitWidths', () => {
  it('keeps natural widths that fit', () => {
    expect(fitWidths([3, 10, 5], [3, 3, 3], 80, 2)).toEqual([3, 10, 5]);
  });
  it('takes from the widest column first, none below its minimum', () => {
    expect(fitWidths([3, 60, 20], [3, 8, 8], 50, 2)).toEqual([3, 23, 20]);
    expect(fitWidths([10, 10], [8, 8], 5, 2)).toEqual([8, 8]); // minimums win over the width
  });
});

describe('wrapLine', () => {
  it('breaks after a space in the second half, else at the width; drops nothing', () => {
    expect(wrapLine('grant_access okay 12 · end_access ended 4', 20, ' · ')).toEqual([
      'grant_access okay 12',
      '· end_access ended 4',
    ]);
    expect(wrapLine('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
});

describe('layoutTable', () => {
  const columns = [{ header: '#', min: 3 }, { header: 'op' }, { header: 'model' }];
  it('a table that fits is laid out at its natural widths', () => {
    const lines = layoutTable(columns, [{ cells: ['1', 'end_access(d1 ref=8)', 'ended'] }], 80);
    expect(lines).toEqual(['#  op                    model', '1  end_access(d1 ref=8)  ended']);
  });
  it('a long cell loses its middle, so its head and tail stay', () => {
    const [, row = ''] = layoutTable(columns, [{ cells: ['2', OP, 'okay h=0'] }], 50);
    expect(row.length).toBeLessThanOrEqual(50);
    expect(row).toMatch(/^2 {2}map\(d2: d1 ref=8 .*….*dev @0x0\) {2}okay h=0$/);
  });
  it('a kept row (the failing step) is wrapped: every character is still there', () => {
    const lines = layoutTable(columns, [{ cells: ['>3', OP, 'in_use'], keep: true }], 50);
    expect(lines.every((l) => l.length <= 50)).toBe(true);
    const opColumn = lines.slice(1).map((l) => l.slice(4, 4 + 38).trim());
    expect(opColumn.join(' ')).toBe(OP);
  });
  it('indent counts toward the width; no header on request', () => {
    const lines = layoutTable(columns, [{ cells: ['1', OP, 'ok'] }], 40, {
      indent: 2,
      header: false,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.startsWith('  1  map(')).toBe(true);
    expect(lines[0]?.length).toBeLessThanOrEqual(40);
  });
  it('property: every line fits, and every kept cell survives whole', () => {
    const text = fc.string({ unit: 'grapheme-ascii', minLength: 0, maxLength: 120 });
    fc.assert(
      fc.property(
        fc.integer({ min: 40, max: 200 }),
        fc.array(fc.record({ cells: fc.tuple(text, text, text), keep: fc.boolean() }), {
          minLength: 1,
          maxLength: 6,
        }),
        (width, rows) => {
          const clean = rows.map((r) => ({
            keep: r.keep,
            cells: r.cells.map((c) => c.replace(/\s+/g, '_')),
          }));
          const lines = layoutTable(columns, clean, width);
          for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
          const out = lines.join('\n');
          for (const r of clean.filter((x) => x.keep)) {
            // each kept cell is in the output, possibly split across lines
            for (const c of r.cells) {
              for (const piece of c.match(/.{1,8}/g) ?? []) expect(out).toContain(piece);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('terminalWidth', () => {
  it("is the terminal's columns, or 80 when not a terminal", () => {
    expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalWidth({ isTTY: false, columns: 132 })).toBe(80);
    expect(terminalWidth({})).toBe(80);
  });
});
