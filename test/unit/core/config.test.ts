// Core model configurations: what is accepted, and the message for what is not.

import { describe, expect, it } from 'vitest';
import { coreConfigProblems, coreStateSpace } from '../../../src/core/config.ts';
import { coreModel, coreModelName } from '../../../src/core/model.ts';

describe('core config', () => {
  it('accepts the issue configurations', () => {
    for (const frames of [2, 3, 4]) {
      expect(coreConfigProblems({ domains: 2, refs: 2, frames, maxPin: 2 })).toEqual([]);
    }
    expect(coreStateSpace({ domains: 2, refs: 2, frames: 2, maxPin: 1 })).toBe(52 ** 4 * 4);
  });

  it('explains a state too wide to pack', () => {
    const c = { domains: 3, refs: 3, frames: 3, maxPin: 1 };
    expect(coreConfigProblems(c)).toEqual([
      expect.stringMatching(/needs 65 bits per state; packed states hold 53/),
    ]);
    expect(() => coreModel(c)).toThrow(RangeError);
  });

  it('rejects non-integers and out-of-range sizes', () => {
    expect(coreConfigProblems({ domains: 0, refs: 1.5, frames: 2, maxPin: -1 })).toHaveLength(3);
  });

  it('names a model by its size and variant', () => {
    expect(coreModelName({ domains: 2, refs: 2, frames: 2, maxPin: 1 })).toBe(
      'core(D=2,R=2,F=2,MAXPIN=1)',
    );
    expect(
      coreModelName({ domains: 2, refs: 2, frames: 2, maxPin: 1 }, 'end-access-ignores-mappings'),
    ).toBe('core(D=2,R=2,F=2,MAXPIN=1) [end-access-ignores-mappings]');
  });
});
