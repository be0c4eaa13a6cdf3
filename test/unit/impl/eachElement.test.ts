// eachElement (src/impl/steps.ts): a batch loop without a generator of its own must behave as
// the loop `for (x of batch) rs.push(yield* part(x)); return finish(rs)` it replaces, for
// next, throw and return alike.

import { describe, expect, it } from 'vitest';
import type { Pause, Steps } from '../../../src/impl/steps.ts';
import { eachElement, noPauses, runToEnd } from '../../../src/impl/steps.ts';

const lock = (n: number): Pause => ({
  kind: 'lock',
  action: 'acquire',
  mode: 'read',
  lock: `l${n}`,
});

/** An element that pauses `n` times, logging what runs, and returns 10 * n. */
function* part(n: number, log: string[]): Steps<number> {
  try {
    for (let i = 0; i < n; i++) {
      try {
        yield lock(n);
      } catch (e) {
        log.push(`caught ${String(e)} in ${n}`);
      }
    }
    return 10 * n;
  } finally {
    log.push(`end ${n}`);
  }
}

/** The loop eachElement stands for. */
function* loop(batch: readonly number[], log: string[]): Steps<string> {
  const results: number[] = [];
  for (const n of batch) results.push(yield* part(n, log));
  return results.join(',');
}

const each = (batch: readonly number[], log: string[]) =>
  eachElement(
    batch,
    (n) => part(n, log),
    (rs) => rs.join(','),
  );

/** Everything `steps` yields and returns, after `drive` is applied at the second pause. */
function trace(steps: Steps<string>, log: string[], drive: 'next' | 'throw' | 'return') {
  const out: unknown[] = [];
  let r = steps.next();
  for (let k = 0; r.done !== true; k++) {
    out.push(r.value);
    if (k === 1 && drive === 'throw') r = steps.throw('boom');
    else if (k === 1 && drive === 'return') r = steps.return('stopped');
    else r = steps.next();
  }
  out.push(r.value);
  return { out, log };
}

describe('eachElement', () => {
  for (const drive of ['next', 'throw', 'return'] as const) {
    it(`pauses, results and clean-up as the generator loop (${drive})`, () => {
      const batch = [2, 0, 3];
      const a: string[] = [];
      const b: string[] = [];
      expect(trace(each(batch, a), a, drive)).toEqual(trace(loop(batch, b), b, drive));
    });
  }

  it("passes the value it is resumed with (a wait's answer) to the element", () => {
    function* waits(ref: number): Steps<string> {
      const answer = yield { kind: 'wait', dom: 1, ref, mask: 1 };
      return `${ref}:${String(answer)}`;
    }
    const steps = eachElement([8, 9], waits, (rs) => rs.join(' '));
    expect(steps.next().value).toEqual({ kind: 'wait', dom: 1, ref: 8, mask: 1 });
    expect(steps.next(true).value).toEqual({ kind: 'wait', dom: 1, ref: 9, mask: 1 });
    expect(steps.next()).toEqual({ done: true, value: '8:true 9:undefined' });
  });

  it('runs nothing before its first step, and an empty batch finishes at once', () => {
    const log: string[] = [];
    const steps = each([1], log);
    expect(log).toEqual([]);
    expect(runToEnd(steps)).toBe('10');
    expect(log).toEqual(['end 1']);
    expect(runToEnd(each([], log))).toBe('');
  });

  it('noPauses runs its op when first resumed, not when made', () => {
    let ran = 0;
    const steps = noPauses(() => ++ran);
    expect(ran).toBe(0);
    expect(steps.next()).toEqual({ done: true, value: 1 });
  });
});
