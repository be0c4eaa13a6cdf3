// The arrays a system makes when it is built, made without an allocation site of their own.
// Why? V8 decides per array literal (and per `new Array` call) whether to allocate it straight
// into the old generation, from how long its arrays lived before; where the Checker keeps
// systems alive for a whole run, it decides so for the systems' arrays, and then every system a
// sequential engine builds and drops (the bench's raw row: one per 100 ops) leaves them, and
// whatever young objects they hold, for a full collection. Arrays that Array.prototype.map makes
// have no site, so no such history; Array.from has none either, but is several times slower.

const RANGES: (readonly number[])[] = [];

/** [0, 1, …, n-1], made once per n. */
export function range(n: number): readonly number[] {
  let r = RANGES[n];
  if (r === undefined) {
    const made: number[] = [];
    for (let i = 0; i < n; i++) made.push(i);
    r = made;
    RANGES[n] = r;
  }
  return r;
}

/** A fresh array of n copies of `value`. */
export function filled<T>(n: number, value: T): T[] {
  return range(n).map(() => value);
}
