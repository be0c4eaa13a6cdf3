// The step properties of page contents and copy: each holds on real transitions and fires when
// the transition is corrupted in exactly what it promises.
import { describe, expect, it } from 'vitest';
import { op } from '../support/ops.ts';
import {
  copyLeavesNoPin,
  writesOnlyWhereWritable,
} from '../../properties/invariants/contentsProperties.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { makeConfig } from '../../src/config.ts';
import type { Transition } from '../../src/harness/invariant.ts';
import { fillRange } from '../../src/model/contents.ts';
import { initialState, step } from '../../src/model/index.ts';
import type { ModelState } from '../../src/model/state.ts';
import { mapWith, updateDomain } from '../../src/model/update.ts';

/** The last transition of `texts` from the initial state. */
function last(...texts: string[]): Transition {
  let state = initialState(makeConfig());
  let t: Transition | undefined;
  for (const text of texts) {
    const o = op(text);
    const { state: after, result } = step(state, o);
    t = { before: state, op: o, result, after };
    state = after;
  }
  if (t === undefined) throw new Error('no ops');
  return t;
}

function withBytes(state: ModelState, mfn: number): ModelState {
  const page = fillRange(state.contents.get(mfn), 0, 4, 0xee);
  if (page === undefined) throw new Error('no page');
  return { ...state, contents: mapWith(state.contents, mfn, page) };
}

const D1G0 = 0x104;

describe('copy-leaves-no-pin', () => {
  const copyIn = last(
    'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
    'map(d2: d1 ref=8 host|ro @0x5000)',
    'copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=4; d1 ref=8 off=0 -> self gmfn=1 off=0 len=4)',
  );
  it('holds on a copy through a mapped grant', () => {
    expect(copyLeavesNoPin.check(copyIn)).toBeNull();
    for (const p of STEP_PROPERTIES) expect(p.check(copyIn), p.name).toBeNull();
  });
  it('fires when a copy leaves its write pin behind', () => {
    const after = updateDomain(copyIn.after, 1, (d) => {
      const act = d.grantTable.active.get(8);
      if (act === undefined) throw new Error('not pinned');
      return {
        ...d,
        grantTable: {
          ...d.grantTable,
          active: mapWith(d.grantTable.active, 8, { ...act, hostWritable: 1 }),
        },
      };
    });
    expect(copyLeavesNoPin.check({ ...copyIn, after })).toBe(
      'copy left d1 ref 8 pinned differently',
    );
  });
});

describe('writes-only-where-writable', () => {
  it('holds for a copy into a writable grant and a guest writing its own page', () => {
    const into = last(
      'write_page(d2 gfn=0 off=0 len=4 byte=0x1)',
      'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      'copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=4)',
    );
    expect(into.after.contents.get(D1G0)?.key).toBe('0-4:1');
    expect(writesOnlyWhereWritable.check(into)).toBeNull();
  });
  it('fires when a copy writes through a read-only grant', () => {
    const refused = last(
      'grant_access(d1 ref=8 -> d2 gfn=0 ro)',
      'copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=4)',
    );
    expect(writesOnlyWhereWritable.check(refused)).toBeNull();
    const corrupted = { ...refused, after: withBytes(refused.after, D1G0) };
    expect(writesOnlyWhereWritable.check(corrupted)).toBe(
      'copy by d2 changed mfn 0x104, which it may not write',
    );
  });
  it("fires when a guest's write lands in another domain's page", () => {
    const own = last('write_page(d2 gfn=0 off=0 len=4 byte=0xee)');
    expect(writesOnlyWhereWritable.check(own)).toBeNull();
    const corrupted = { ...own, after: withBytes(own.before, D1G0) };
    expect(writesOnlyWhereWritable.check(corrupted)).toBe(
      'write_page by d2 changed mfn 0x104, which it may not write',
    );
  });
  it('lets a transfer scrub the page it frees, nothing else', () => {
    const t = last('write_page(d1 gfn=0 off=0 len=4 byte=0x1)', 'transfer(d1: gfn=0 -> d2 ref=9)');
    expect(t.after.contents.has(D1G0)).toBe(false);
    expect(writesOnlyWhereWritable.check(t)).toBeNull();
    const corrupted = { ...t, after: withBytes(t.after, 0x108) };
    expect(writesOnlyWhereWritable.check(corrupted)).toBe(
      'transfer changed the bytes of mfn 0x108',
    );
  });
});
