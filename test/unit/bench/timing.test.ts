// The bench's timing (bench/timing.ts): medians of passes, and rates of wall and of CPU time.

import { describe, expect, it } from 'vitest';
import { cpuRatio, median, medianPasses, rateRow, timePass } from '../../../bench/timing.ts';

/** Spin for `ms` of wall time on this thread (so CPU time grows with it). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe('bench timing', () => {
  it('takes the middle value, the lower middle of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(RangeError);
  });

  it('counts CPU time apart from wall time: a sleeping pass uses wall, not CPU', () => {
    // Why 250 ms? process.cpuUsage counts the process's every thread: V8's compiler and
    // collector threads once used half of a 60 ms sleep (a CI run was loading the machine).
    const sleeping = timePass(() =>
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250),
    );
    expect(sleeping.seconds).toBeGreaterThanOrEqual(0.24);
    expect(sleeping.cpuSeconds).toBeLessThan(sleeping.seconds / 2);
    const spinning = timePass(() => busy(60));
    expect(spinning.cpuSeconds).toBeGreaterThan(0.03);
  });

  it('runs the warm-ups untimed and takes the median of the timed passes', () => {
    const lengths = [0, 80, 5, 10, 120];
    let call = 0;
    const t = medianPasses(3, () => busy(lengths[call++] ?? 0), 2);
    expect(call).toBe(5);
    // the timed passes spun 5, 10 and 120 ms: the median is the 10 ms one
    expect(t.seconds).toBeGreaterThanOrEqual(0.009);
    expect(t.seconds).toBeLessThan(0.06);
    expect(() => medianPasses(0, () => undefined)).toThrow(RangeError);
  });

  it('gives rates of wall and CPU time, and ratios of CPU rates', () => {
    const a = rateRow('a', 1000, { seconds: 2, cpuSeconds: 0.5 });
    const b = rateRow('b', 1000, { seconds: 1, cpuSeconds: 1 });
    expect(a).toMatchObject({ opsPerSecond: 500, opsPerCpuSecond: 2000 });
    expect(cpuRatio(a, b)).toBe(2);
  });
});
