// Small ascending arrays of numbers, kept in order as they grow.

/** `x` put into ascending `sorted` in its place (after any equal to it). Why not push and sort
 * once? The arrays this keeps are mostly one to a few numbers, pushed in ascending order (one
 * comparison each), and Array.prototype.sort allocates a copy per call: 3 to 4% of a
 * conformance search's allocation went to such copies. */
export function insertAscending(sorted: number[], x: number): void {
  let i = sorted.length;
  sorted.push(x);
  for (; i > 0 && (sorted[i - 1] ?? 0) > x; i--) sorted[i] = sorted[i - 1] ?? 0;
  sorted[i] = x;
}
