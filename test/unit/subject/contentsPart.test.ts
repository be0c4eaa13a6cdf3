// The `contents` state part: a subject that reports it is compared on page bytes; one that does
// not is not (the model's contents stand in for it), and such a subject is never sent page ops.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { initialState, statesEqual } from '../../../src/model/index.ts';
import { fillRange } from '../../../src/model/contents.ts';
import { observedState } from '../../../src/subject/observe.ts';
import { STATE_PARTS } from '../../../src/subject/subject.ts';
import { stateFromWire, wireStateOf, wireStateParts } from '../../../src/subject/wire/state.ts';

describe('the contents state part', () => {
  const model = initialState(makeConfig());
  const page = fillRange(undefined, 0, 4, 9);
  if (page === undefined) throw new Error('no page');
  const reported = { ...model, contents: new Map([[0x104, page]]) };

  it('is compared only when declared', () => {
    const without = STATE_PARTS.filter((p) => p !== 'contents');
    expect(statesEqual(observedState(model, reported, without), model)).toBe(true);
    expect(statesEqual(observedState(model, reported, STATE_PARTS), model)).toBe(false);
  });

  it('travels on the wire at the top level, only when declared', () => {
    const wire = wireStateOf(reported, ['contents']);
    expect(wire.contents).toEqual([[0x104, [[0, 4, 9]]]]);
    expect(wireStateParts(wire)).toEqual(['contents']);
    expect(stateFromWire(wire).contents.get(0x104)?.key).toBe('0-4:9');
    expect('contents' in wireStateOf(reported, ['frames'])).toBe(false);
  });
});
