// Tables that fit the terminal (issue 15 §4): column widths chosen to fit a width, long cells
// elided in their MIDDLE (an op's kind and its last element both stay) or wrapped, never clipped
// at an end; a kept row (the failing step) is wrapped, never elided. layoutTable is pure: the
// width comes in as a number (terminalWidth reads it). Why not a table library (cli-table3 was
// tried)? It fits nothing to a total width, a cell too wide for its column loses its end ('…'),
// the part that was to be kept, and it joined a wrapped 255-element map batch (100 lines in one
// cell) in 28 s, where padding the fitted lines here takes a millisecond. Widths are counted in
// UTF-16 units: every character grantcheck prints (→ · ≠ ✗ ×) is one column wide; ANSI escapes
// (colour) count for nothing. Colour is best given as a Style, applied to a cell's lines after
// they are fitted: a coloured cell that must be cut loses its colour rather than an escape's half.

import { elideMiddle } from '../report/render.ts';
import { stripAnsi, visibleWidth } from './colour.ts';

/** How a fitted line of a cell is drawn (colour); it must add no visible characters. */
export type Style = (line: string) => string;

export interface Column {
  readonly header: string;
  /** The narrowest the column may become (default: 8, or less if nothing in it is wider). */
  readonly min?: number;
  /** How a too-long cell fits: elided in the middle (default) or wrapped onto more lines. */
  readonly overflow?: 'elide' | 'wrap';
  /** Where a wrapped line may break, besides spaces (e.g. ' · ' in the coverage table). */
  readonly breakAfter?: string;
  /** How each line of the column's cells is drawn, after fitting (a row's own styles win). */
  readonly style?: Style;
}

export interface Row {
  /** One string per column; '\n' separates a cell's lines. */
  readonly cells: readonly string[];
  /** Never cut (the failing step): every cell is wrapped to its column instead. */
  readonly keep?: boolean;
  /** One per column (or fewer): how each line of that cell is drawn, after fitting. */
  readonly styles?: readonly (Style | undefined)[];
}

const lines = (cell: string): string[] => cell.split('\n');
const longest = (cell: string): number => Math.max(0, ...lines(cell).map(visibleWidth));

/** Column widths whose sum with the gaps is at most `width`: the natural widths when they fit;
 * otherwise the widest column gives up one character at a time, none below its minimum (a
 * table of minimums wider than `width` stays that wide). */
export function fitWidths(
  natural: readonly number[],
  min: readonly number[],
  width: number,
  gap: number,
): number[] {
  const w = [...natural];
  let total = w.reduce((a, b) => a + b, 0) + gap * Math.max(0, w.length - 1);
  while (total > width) {
    let widest = -1;
    for (let i = 0; i < w.length; i++) {
      if ((w[i] ?? 0) > (min[i] ?? 0) && (widest < 0 || (w[i] ?? 0) > (w[widest] ?? 0))) {
        widest = i;
      }
    }
    if (widest < 0) break;
    w[widest] = (w[widest] ?? 0) - 1;
    total--;
  }
  return w;
}

/** `line` broken into pieces of at most `width` characters: at the last `breakAfter` (else
 * space) that leaves a piece over half the width, else exactly at `width`. Only the spaces at
 * a break are dropped. */
export function wrapLine(line: string, width: number, breakAfter = ' '): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const preferred = rest.lastIndexOf(breakAfter, width);
    const space = rest.lastIndexOf(' ', width);
    const at = preferred > width / 2 ? preferred : space > width / 2 ? space : width;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  out.push(rest);
  return out;
}

/** A cell fitted to `width`: each line elided in the middle, or wrapped. A line that fits is
 * kept as it is (escapes too); one that must be cut is cut without its escapes. */
export function fitCell(cell: string, width: number, wrap: boolean, breakAfter?: string): string {
  return lines(cell)
    .flatMap((l) => {
      if (visibleWidth(l) <= width) return [l];
      const plain = stripAnsi(l);
      return wrap ? wrapLine(plain, width, breakAfter) : [elideMiddle(plain, width)];
    })
    .join('\n');
}

/** `line` padded with spaces to `width` visible columns. */
function padVisible(line: string, width: number): string {
  const n = visibleWidth(line);
  return n >= width ? line : line + ' '.repeat(width - n);
}

export interface LayoutOptions {
  readonly gap?: number;
  readonly indent?: number;
  readonly header?: boolean;
  /** How the header's line is drawn (bold, on a terminal). */
  readonly headerStyle?: Style;
}

/** The table laid out: the header's lines and each row's lines, every line at most `width`
 * characters (unless the columns' minimums and gaps alone are wider), `indent` spaces first. */
export function layoutRows(
  columns: readonly Column[],
  rows: readonly Row[],
  width: number,
  options: LayoutOptions = {},
): { readonly header: string[]; readonly rows: string[][] } {
  const gap = options.gap ?? 2;
  const pad = ' '.repeat(options.indent ?? 0);
  const withHeader = options.header ?? true;
  const natural = columns.map((c, i) =>
    Math.max(withHeader ? c.header.length : 0, ...rows.map((r) => longest(r.cells[i] ?? '')), 1),
  );
  const min = columns.map((c, i) => Math.min(natural[i] ?? 1, c.min ?? 8));
  const widths = fitWidths(natural, min, width - pad.length, gap);
  const between = ' '.repeat(gap);
  // a row's cells side by side, line by line, each styled and padded to its column; the row is
  // as tall as its tallest cell
  const render = (cells: string[], styles: readonly (Style | undefined)[]): string[] => {
    const split = cells.map(lines);
    const height = Math.max(1, ...split.map((c) => c.length));
    // Only the text is styled, not the spaces after it: the line's trimEnd must still see them.
    const cell = (i: number, line = ''): string => {
      const style = styles[i];
      const text = line.trimEnd();
      return padVisible(text === '' || !style ? line : style(text), widths[i] ?? 1);
    };
    return Array.from({ length: height }, (_, j) =>
      `${pad}${split.map((c, i) => cell(i, c[j])).join(between)}`.trimEnd(),
    );
  };
  const headerStyle = options.headerStyle;
  const headerStyles = columns.map(() => headerStyle);
  return {
    header: withHeader
      ? render(
          columns.map((c, i) => elideMiddle(c.header, widths[i] ?? 1)),
          headerStyles,
        )
      : [],
    rows: rows.map((r) =>
      render(
        columns.map((c, i) =>
          fitCell(
            r.cells[i] ?? '',
            widths[i] ?? 1,
            r.keep === true || c.overflow === 'wrap',
            c.breakAfter,
          ),
        ),
        columns.map((c, i) => r.styles?.[i] ?? c.style),
      ),
    ),
  };
}

/** The table's lines (layoutRows, flattened). */
export function layoutTable(
  columns: readonly Column[],
  rows: readonly Row[],
  width: number,
  options: LayoutOptions = {},
): string[] {
  const laid = layoutRows(columns, rows, width, options);
  return [...laid.header, ...laid.rows.flat()];
}
