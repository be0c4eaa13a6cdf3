// The CLI's tables laid out to the terminal's width (./table.ts): a run's step table and the
// failing step side by side (replay, exec, run), run's coverage, and a plain list of columns
// (faults, list). The failing step's row and its side-by-side view are wrapped, never cut.
// Each takes a Styler (./colour.ts): PLAIN unless the command's output is a terminal.

import type { StepRecord } from '../harness/run.ts';
import { sideBySide } from '../report/render.ts';
import type { ReplayRow } from '../trace/replay.ts';
import type { Styler } from './colour.ts';
import { PLAIN } from './colour.ts';
import type { Io } from './outcome.ts';
import type { Style } from './table.ts';
import { wrapLine, layoutRows, layoutTable } from './table.ts';

/** The width an Io's tables are laid out in: its terminal's, or 80. */
export function widthOf(io: Io): number {
  return io.columns ?? 80;
}

/** The step table: #, op, both results ('≠' where they differ), what changed. Every cell wraps
 * (a handle or a flag at the end of a result is a fact, not decoration); the failing step's
 * failure follows it, wrapped. In colour: the failing step's number and failure, and the impl's
 * results that differ from the model's. */
export function stepTable(rows: readonly ReplayRow[], width: number, style = PLAIN): string[] {
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
      styles: [
        r.failure ? style.fail : undefined,
        undefined,
        undefined,
        r.model === r.impl ? undefined : style.mismatch,
      ],
    })),
    width,
    { headerStyle: style.head },
  );
  const lines = [...laid.header];
  rows.forEach((r, i) => {
    lines.push(...(laid.rows[i] ?? []));
    if (r.failure) {
      const [first = '', ...more] = wrapLine(`^ FAILED: ${r.failure}`, Math.max(20, width - 5));
      lines.push(`     ${style.fail(first)}`, ...more.map((l) => `       ${style.fail(l)}`));
    }
  });
  return lines;
}

/** The failing step's differing lines, model beside impl, every line whole (wrapped); the '≠'
 * marks in the mismatch colour. */
export function sideBySideView(step: StepRecord, width: number, style = PLAIN): string[] {
  const view = sideBySide(step);
  const lines = layoutTable(
    [
      { header: '', min: 20, style: style.mismatch },
      { header: 'MODEL', min: 20, overflow: 'wrap' },
      { header: 'IMPL (abstracted)', min: 20, overflow: 'wrap' },
    ],
    view.pairs.map(([model, impl]) => ({ cells: ['≠', model, impl] })),
    width,
    { gap: 1, headerStyle: style.head },
  );
  for (const line of view.contents) {
    lines.push(...wrapLine(`≠ ${line}`, width).map((l) => l.replace(/^≠/, style.mismatch('≠'))));
  }
  if (view.same > 0) {
    lines.push(`  (${view.same} identical line${view.same === 1 ? '' : 's'} not shown)`);
  }
  return lines;
}

/** Run's coverage: one row per op kind, its statuses with their counts, wrapped between
 * statuses (a count is never elided); an expected status never produced in the warning colour. */
export function coverageTable(
  coverage: ReadonlyMap<string, number>,
  expected: readonly string[],
  width: number,
  indent: number,
  style = PLAIN,
): string[] {
  const never: Style | undefined = style.enabled
    ? (line) => line.replace(/\S+ NEVER/g, (m) => style.warn(m))
    : undefined;
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
      {
        header: 'status count',
        min: 20,
        overflow: 'wrap',
        breakAfter: ' · ',
        ...(never ? { style: never } : {}),
      },
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
 * columns (names, ids) never shrink, the `wrap` column wraps. `styles` colours cells (by row,
 * then column); `style` draws the header. */
export function columnsTable(
  head: readonly string[],
  cells: readonly (readonly string[])[],
  width: number,
  options: {
    readonly indent?: number;
    readonly header?: boolean;
    readonly whole?: readonly number[];
    readonly wrap?: number;
    readonly styles?: readonly (readonly (Style | undefined)[] | undefined)[];
    readonly style?: Styler;
  } = {},
): string[] {
  return layoutTable(
    head.map((header, i) => ({
      header,
      min: options.whole?.includes(i) ? Infinity : Math.min(12, Math.max(header.length, 4)),
      ...(i === options.wrap ? { overflow: 'wrap' as const } : {}),
    })),
    cells.map((c, i) => {
      const styles = options.styles?.[i];
      return styles ? { cells: c, styles } : { cells: c };
    }),
    width,
    {
      ...options,
      ...(options.style?.enabled ? { headerStyle: options.style.head } : {}),
    },
  );
}
