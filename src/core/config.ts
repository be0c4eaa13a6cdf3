// The size of a core protocol model: D domains with R grant entries each, F page frames, and
// the mapping-count ceiling MAXPIN. Frame f starts owned by domain f mod D.

export interface CoreConfig {
  readonly domains: number;
  readonly refs: number;
  readonly frames: number;
  readonly maxPin: number;
}

/** Everything wrong with `c`, as sentences; empty when the model can be built. */
export function coreConfigProblems(c: CoreConfig): string[] {
  const problems: string[] = [];
  const small = (name: keyof CoreConfig, min: number, max: number): void => {
    const v = c[name];
    if (!Number.isInteger(v) || v < min || v > max) {
      problems.push(`${name} must be an integer in ${min}..${max}, got ${String(v)}`);
    }
  };
  small('domains', 1, 8);
  small('refs', 1, 8);
  small('frames', 1, 16);
  small('maxPin', 0, 15);
  if (problems.length === 0 && !(coreStateSpace(c) <= Number.MAX_SAFE_INTEGER)) {
    problems.push(
      `${c.domains} domains x ${c.refs} refs x ${c.frames} frames (maxPin ${c.maxPin}) ` +
        `needs ${Math.ceil(Math.log2(coreStateSpace(c)))} bits per state; packed states hold 53`,
    );
  }
  return problems;
}

/** Distinct values of one entry: free, access(grantee, frame, ro), transfer-waiting(grantee),
 * transfer-done(frame), each with a (read, write) count pair. */
export function entryValues(c: CoreConfig): number {
  const payloads = 1 + c.domains * c.frames * 2 + c.domains + c.frames;
  return payloads * (c.maxPin + 1) ** 2;
}

/** Size of the packed encoding's range: every entry value for every ref, every owner map. */
export function coreStateSpace(c: CoreConfig): number {
  return entryValues(c) ** (c.domains * c.refs) * c.domains ** c.frames;
}
