// Colour (src/cli/colour.ts): when it is wanted (NO_COLOR, FORCE_COLOR, a terminal), and that
// the fitted tables measure what a terminal shows: a coloured table is the plain one with
// escapes added, never wider, never cut differently.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { colourWanted, PLAIN, stripAnsi, styler, visibleWidth } from '../../../src/cli/colour.ts';
import { layoutTable } from '../../../src/cli/table.ts';
import type { Column } from '../../../src/cli/table.ts';
import { coverageTable, stepTable } from '../../../src/cli/views.ts';
import type { ReplayRow } from '../../../src/trace/replay.ts';

const TTY = { isTTY: true };
const PIPE = { isTTY: false };
const ESC = '\u001b[';

describe('colourWanted', () => {
  it('colours a terminal, not a pipe or a file', () => {
    expect(colourWanted({}, TTY)).toBe(true);
    expect(colourWanted({}, PIPE)).toBe(false);
    expect(colourWanted({}, {})).toBe(false);
    expect(colourWanted({ TERM: 'dumb' }, TTY)).toBe(false);
  });
  it('NO_COLOR with any non-empty value turns it off, even beside FORCE_COLOR', () => {
    expect(colourWanted({ NO_COLOR: '1' }, TTY)).toBe(false);
    expect(colourWanted({ NO_COLOR: 'no' }, TTY)).toBe(false);
    expect(colourWanted({ NO_COLOR: '1', FORCE_COLOR: '1' }, PIPE)).toBe(false);
    expect(colourWanted({ NO_COLOR: '' }, TTY)).toBe(true); // empty: as if unset (no-color.org)
  });
  it('FORCE_COLOR turns it on into a pipe; 0 or false turns it off on a terminal', () => {
    expect(colourWanted({ FORCE_COLOR: '1' }, PIPE)).toBe(true);
    expect(colourWanted({ FORCE_COLOR: '' }, PIPE)).toBe(true);
    expect(colourWanted({ FORCE_COLOR: '0' }, TTY)).toBe(false);
    expect(colourWanted({ FORCE_COLOR: 'false' }, TTY)).toBe(false);
  });
});

describe('styler', () => {
  it('off: every style is the identity', () => {
    const s = styler(false);
    expect(s).toBe(PLAIN);
    for (const f of [s.fail, s.pass, s.mismatch, s.warn, s.head]) expect(f('x ≠ y')).toBe('x ≠ y');
  });
  it('on: escapes around the text, which alone is visible', () => {
    const s = styler(true);
    for (const f of [s.fail, s.pass, s.mismatch, s.warn, s.head]) {
      const out = f('x ≠ y');
      expect(out).toContain(ESC);
      expect(stripAnsi(out)).toBe('x ≠ y');
      expect(visibleWidth(out)).toBe(5);
    }
  });
});

describe('tables in colour measure visible width', () => {
  const on = styler(true);
  const columns: Column[] = [
    { header: '#', min: 3 },
    { header: 'op', min: 8, style: on.mismatch },
    { header: 'result', min: 6, overflow: 'wrap' },
  ];
  const cell = fc.string({
    unit: fc.constantFrom('a', 'b', ' ', '·', '≠', '(', ')'),
    maxLength: 40,
  });
  it('styled rows lay out as the plain rows, escapes added, no line wider', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(cell, cell, cell), { maxLength: 6 }),
        fc.integer({ min: 10, max: 90 }),
        (cells, width) => {
          const plain = layoutTable(
            columns.map(({ style: _, ...c }) => c),
            cells.map((c) => ({ cells: c })),
            width,
          );
          const styled = layoutTable(
            columns,
            cells.map((c, i) => ({ cells: c, styles: [i % 2 === 0 ? on.fail : undefined] })),
            width,
            { headerStyle: on.head },
          );
          expect(styled.map(stripAnsi)).toEqual(plain);
          const widest = Math.max(0, ...plain.map((l) => l.length));
          for (const line of styled) expect(visibleWidth(line)).toBeLessThanOrEqual(widest);
        },
      ),
    );
  });
  it('a cell coloured beforehand counts its visible characters only', () => {
    const lines = layoutTable(
      [{ header: 'a' }, { header: 'b' }],
      [{ cells: [on.fail('FAIL'), 'x'] }, { cells: ['ok', 'y'] }],
      80,
    );
    expect(lines.map(stripAnsi)).toEqual(['a     b', 'FAIL  x', 'ok    y']);
  });
  it('a coloured cell too wide for its column is cut on its text, not inside an escape', () => {
    const [, row = ''] = layoutTable(
      [{ header: 'a', min: 9 }, { header: 'b' }],
      [{ cells: [on.fail('abcdefghijklmnop'), 'x'] }],
      12,
    );
    expect(row).toBe('abcd…mnop  x'); // plain: cutting lost the colour, not an escape's half
  });
});

describe('the step table in colour', () => {
  const rows: ReplayRow[] = [
    {
      step: 1,
      op: 'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      model: 'okay',
      impl: 'okay',
      changes: [],
    },
    {
      step: 2,
      op: 'end_access(d1 ref=8)',
      model: 'busy',
      impl: 'ended',
      changes: ['ref 8: free'],
      failure: 'result mismatch',
    },
  ];
  it('is the plain table with the failing step and the differing result coloured', () => {
    const plain = stepTable(rows, 60);
    const coloured = stepTable(rows, 60, styler(true));
    expect(coloured.map(stripAnsi)).toEqual(plain);
    expect(plain.join('\n')).not.toContain(ESC);
    const failing = coloured.find((l) => stripAnsi(l).startsWith('>2'));
    expect(failing).toContain(`${ESC}31m≠ended`); // red, the mismatch
    expect(coloured.find((l) => l.includes('^ FAILED'))).toContain(ESC);
    expect(coloured.find((l) => stripAnsi(l).startsWith(' 1'))).not.toContain(ESC);
  });
  it("coverage's statuses never produced are coloured, the rest not", () => {
    const coverage = new Map([['end_access:ended', 3]]);
    const lines = coverageTable(coverage, ['end_access:busy'], 80, 2, styler(true));
    expect(lines.map(stripAnsi)).toEqual(coverageTable(coverage, ['end_access:busy'], 80, 2));
    expect(lines.join('\n')).toContain(`${ESC}33mbusy NEVER`);
  });
});
