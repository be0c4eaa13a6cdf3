// The docs render as Markdown (issue 15 §4, "docs/trace-format.md renders correctly"): every code
// fence is closed, and every table row has the header's number of cells. A '|' inside a code span
// still splits a GitHub table cell unless escaped ('\|'): that is what broke trace-format.md.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

/** The cells of a table row: split at every '|' not escaped by a backslash. */
function cells(row: string): number {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/).length;
}

/** What is wrong with `text` as Markdown: unclosed fences, ragged tables (line numbers). */
function markdownProblems(text: string): string[] {
  const problems: string[] = [];
  let fence: number | undefined;
  let header: number | undefined;
  text.split('\n').forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fence = fence === undefined ? i + 1 : undefined;
      return;
    }
    if (fence !== undefined) return;
    if (!line.trim().startsWith('|')) {
      header = undefined;
      return;
    }
    if (header === undefined) {
      header = cells(line);
      return;
    }
    if (cells(line) !== header) problems.push(`line ${i + 1}: ${cells(line)} cells, not ${header}`);
  });
  if (fence !== undefined) problems.push(`line ${fence}: a code fence is never closed`);
  return problems;
}

describe('markdownProblems', () => {
  it('finds an unescaped pipe in a code span, and an unclosed fence', () => {
    expect(markdownProblems('| a | b |\n| - | - |\n| `x|y` | z |\n')).toEqual([
      'line 3: 3 cells, not 2',
    ]);
    expect(markdownProblems('| a | b |\n| - | - |\n| `x\\|y` | z |\n')).toEqual([]);
    expect(markdownProblems('text\n```\ncode\n')).toEqual(['line 2: a code fence is never closed']);
  });
});

describe.each(files)('%s', (file) => {
  it('renders: fences closed, tables well-formed', () => {
    expect(markdownProblems(readFileSync(join(root, file), 'utf8'))).toEqual([]);
  });
});
