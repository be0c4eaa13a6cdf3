// The CLI's tables laid out to the terminal's width (./table.ts): a run's step table and the
// failing step side by side (replay, exec, run), run's coverage, and a plain list of columns
// (faults, list). The failing step's row and its side-by-side view are wrapped, never cut.

import type { StepRecord } from '../harness/run.ts';
import { sideBySide } from '../report/render.ts';
import type { ReplayRow } from '../trace/replay.ts';
import type { Io } from './outcome.ts';
import { wrapLine, layoutRows, layoutTable } from './table.ts';

/** The width an Io's tables are laid out in: its terminal's, or 80. */
export function widthOf(io: Io): number {
  return io.columns ?? 80;
}

/** The step table: #, op, both results ('≠' where they differ), what changed. Every cell wraps
 * (a handle or a flag at the end of a result is a fact, not decoration); the failing step's
 * failure follows it, wrapped. */
export function stepTable(rows: readonly ReplayRow[], width: number): string[] {
  const laid = layoutRows(
    [
      { header: '#', min: 4 },
      { header: 'op', min: 24, overflow: 'wrap' },
      { header: 'model', min: 12, overflow: 'wrap' },
      { header: ' impl', min: 12, overflow: 'wrap' },
      { header: 'changes', min: 20, overflow: 'wrap' },
    ],
    rows.map((r) => ({
      cells: [
        `${r.failure ? '>' : ' '}${r.step}`,
        r.op,
        r.model,
        `${r.model === r.impl ? ' ' : '≠'}${r.impl}`,
        r.changes.length === 0 ? '-' : r.changes.join('\n'),
      ],
      keep: r.failure !== undefined,
    })),
    width,
  );
  const lines = [...laid.header];
  rows.forEach((r, i) => {
    lines.push(...(laid.rows[i] ?? []));
    if (r.failure) {
      const [first = '', ...more] = wrapLine(`^ FAILED: ${r.failure}`, Math.max(20, width - 5));
      lines.push(`     ${first}`, ...more.map((l) => `       ${l}`));
    }
  });
  return lines;
}

/** The failing step's differing lines, model beside impl, every line whole (wrapped). */
export function sideBySideView(step: StepRecord, width: number): string[] {
  const view = sideBySide(step);
  const lines = layoutTable(
    [
      { header: '', min: 20 },
      { header: 'MODEL', min: 20, overflow: 'wrap' },
      { header: 'IMPL (abstracted)', min: 20, overflow: 'wrap' },
    ],
    view.pairs.map(([model, impl]) => ({ cells: ['≠', model, impl] })),
    width,
    { gap: 1 },
  );
  for (const line of view.contents) lines.push(...wrapLine(`≠ ${line}`, width));
  if (view.same > 0) {
    lines.push(`  (${view.same} identical line${view.same === 1 ? '' : 's'} not shown)`);
  }
  return lines;
}

/** Run's coverage: one row per op kind, its statuses with their counts, wrapped between
 * statuses (a count is never elided). */
export function coverageTable(
  coverage: ReadonlyMap<string, number>,
  expected: readonly string[],
  width: number,
  indent: number,
): string[] {
  const byOp = new Map<string, [string, number][]>();
  for (const key of new Set([...coverage.keys(), ...expected])) {
    const [op = '', status = ''] = key.split(':');
    const list = byOp.get(op) ?? [];
    list.push([status, coverage.get(key) ?? 0]);
    byOp.set(op, list);
  }
  return layoutTable(
    [
      { header: 'op', min: 12 },
      { header: 'status count', min: 20, overflow: 'wrap', breakAfter: ' · ' },
    ],
    [...byOp.entries()].map(([op, statuses]) => ({
      cells: [
        op,
        statuses
          .sort((a, b) => b[1] - a[1])
          .map(([s, n]) => (n === 0 ? `${s} NEVER` : `${s} ${n}`))
          .join(' · '),
      ],
    })),
    width,
    { indent, header: false },
  );
}

/** Left-aligned columns under a header, elided in the middle where too long; the `whole`
 * columns (names, ids) never shrink, the `wrap` column wraps. */
export function columnsTable(
  head: readonly string[],
  cells: readonly (readonly string[])[],
  width: number,
  options: {
    readonly indent?: number;
    readonly header?: boolean;
    readonly whole?: readonly number[];
    readonly wrap?: number;
  } = {},
): string[] {
  return layoutTable(
    head.map((header, i) => ({
      header,
      min: options.whole?.includes(i) ? Infinity : Math.min(12, Math.max(header.length, 4)),
      ...(i === options.wrap ? { overflow: 'wrap' as const } : {}),
    })),
    cells.map((c) => ({ cells: c })),
    width,
    options,
  );
}
