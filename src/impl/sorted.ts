// Small ascending arrays of numbers, kept in order as they grow.

/** `x` put into ascending `sorted` in its place (after any equal to it). For arrays of a few
 * numbers: Array.prototype.sort allocates a copy per call (3% of a conformance search's
 * allocation went to such copies), and a few moves cost less; a long array's insertions are
 * quadratic. */
export function insertAscending(sorted: number[], x: number): void {
  let i = sorted.length;
  sorted.push(x);
  for (; i > 0 && (sorted[i - 1] ?? 0) > x; i--) sorted[i] = sorted[i - 1] ?? 0;
  sorted[i] = x;
}
