// Timing for the bench's rate rows: wall time and this process's CPU time (user + system) of the
// same passes. CPU time is what the ratios use: on a shared machine, other processes stretch a
// pass's wall time far more than its CPU time.

export interface PassTimes {
  /** Median wall seconds of the timed passes. */
  readonly seconds: number;
  /** Median CPU seconds of the timed passes. */
  readonly cpuSeconds: number;
}

/** Time one call of `body`. */
export function timePass(body: () => void): PassTimes {
  const cpu = process.cpuUsage();
  const start = performance.now();
  body();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** `passes` timed calls of `body` (after `warmups` untimed ones, so that the JIT has compiled the
 * hot paths): the median wall and the median CPU seconds, each taken on its own. */
export function medianPasses(passes: number, body: () => void, warmups = 0): PassTimes {
  if (!Number.isInteger(passes) || passes < 1) throw new RangeError(`passes: ${passes}`);
  for (let i = 0; i < warmups; i++) body();
  const times = Array.from({ length: passes }, () => timePass(body));
  return {
    seconds: median(times.map((t) => t.seconds)),
    cpuSeconds: median(times.map((t) => t.cpuSeconds)),
  };
}

/** The middle value (the lower middle of an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

export interface RateRow {
  readonly measure: string;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly cpuSeconds: number;
  readonly opsPerCpuSecond: number;
}

/** A table row: `ops` done in `t`, as rates of wall and of CPU time. */
export function rateRow(measure: string, ops: number, t: PassTimes): RateRow {
  return {
    measure,
    ops,
    seconds: Number(t.seconds.toFixed(3)),
    opsPerSecond: Math.round(ops / t.seconds),
    cpuSeconds: Number(t.cpuSeconds.toFixed(3)),
    opsPerCpuSecond: Math.round(ops / t.cpuSeconds),
  };
}

/** `a`'s rate over `b`'s, both in ops per CPU-second. */
export function cpuRatio(a: RateRow, b: RateRow): number {
  return a.opsPerCpuSecond / b.opsPerCpuSecond;
}
