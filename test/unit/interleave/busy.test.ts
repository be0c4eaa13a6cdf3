// Results only concurrency gives (src/interleave/busy.ts): an end_access told "in use" by a pin
// that ends with its hypercall is linearizable as a no-op only while a hypercall that really set
// GTF_reading on that entry overlaps it; naming the entry is not enough.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { transientlyBusy } from '../../../src/interleave/busy.ts';
import type { CompletedOp } from '../../../src/interleave/linearize.ts';
import { linearize } from '../../../src/interleave/linearize.ts';
import type { ModelState } from '../../../src/model/index.ts';
import { initialState, step } from '../../../src/model/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import { GNTST_bad_page, GNTST_eagain, GNTST_okay } from '../../../src/xen/abi.ts';
import { op } from '../../support/ops.ts';

const config = makeConfig({});
const granted = step(initialState(config), op('grant_access(d1 ref=8 -> d2 gfn=0 rw)')).state;
const copy = op('copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=8)');
const endAccess = op('end_access(d1 ref=8)');

function history(pinned: readonly string[], overlapping: boolean): CompletedOp[] {
  const after = step(granted, copy);
  return [
    { actor: 1, op: copy, result: after.result, invoked: 0, returned: 6, pinned },
    {
      actor: 0,
      op: endAccess,
      result: { kind: 'end_access', outcome: 'in_use' },
      invoked: overlapping ? 2 : 7,
      returned: overlapping ? 3 : 8,
      pinned: [],
    },
  ];
}

/** A copy that pinned `pinned` (steps 0 to 6) and, inside it, actor 0's `racing` op (steps 2 to
 * 4), observed returning `result`. */
function duringCopy(
  start: ModelState,
  pinned: readonly string[],
  racing: Op,
  result: OpResult,
): CompletedOp[] {
  return [
    { actor: 1, op: copy, result: step(start, copy).result, invoked: 0, returned: 6, pinned },
    { actor: 0, op: racing, result, invoked: 2, returned: 4, pinned: [] },
  ];
}

describe('transient results', () => {
  it('an in_use while an overlapping copy pinned the entry is a no-op', () => {
    const h = history(['d1:8'], true);
    const final = step(granted, copy).state;
    expect(linearize(granted, h, final, transientlyBusy).kind).toBe('linearizable');
    // Without the rule no order explains it: before and after the copy the entry is free.
    expect(linearize(granted, h, final).kind).toBe('not-linearizable');
  });

  it('not when the other op pinned nothing (it only named the entry)', () => {
    const h = history([], true);
    expect(linearize(granted, h, step(granted, copy).state, transientlyBusy).kind).toBe(
      'not-linearizable',
    );
  });

  it('not when the pinning op had returned before the call began', () => {
    const h = history(['d1:8'], false);
    expect(linearize(granted, h, step(granted, copy).state, transientlyBusy).kind).toBe(
      'not-linearizable',
    );
  });

  describe('a batch is judged element by element', () => {
    // Refs 8 and 10 granted; the swap moves 8 to 9 (refused: pinned) and 10 to 11.
    const start = step(granted, op('grant_access(d1 ref=10 -> d2 gfn=1 ro)')).state;
    const swap = op('swap(d1: ref=8 <-> ref=9; ref=10 <-> ref=11)');
    const rest = op('swap(d1: ref=10 <-> ref=11)');
    const swapHistory = (pinned: readonly string[]): CompletedOp[] =>
      duringCopy(start, pinned, swap, {
        kind: 'swap_grant_ref',
        statuses: [GNTST_eagain, GNTST_okay],
      });
    // The swap's second element did its work; its first found ref 8 pinned by the copy.
    const final = step(step(start, copy).state, rest).state;

    it('an element told eagain while an overlapping copy pinned its ref did nothing', () => {
      expect(linearize(start, swapHistory(['d1:8']), final, transientlyBusy).kind).toBe(
        'linearizable',
      );
    });

    it('the other elements must still be what the model gives', () => {
      // Ending as if the second element had not exchanged its entries either is wrong.
      const unchanged = step(start, copy).state;
      expect(linearize(start, swapHistory(['d1:8']), unchanged, transientlyBusy).kind).toBe(
        'not-linearizable',
      );
    });

    it('not when the overlapping op pinned another entry', () => {
      expect(linearize(start, swapHistory(['d1:10']), final, transientlyBusy).kind).toBe(
        'not-linearizable',
      );
    });

    it('the elements kept are judged from the state the dropped ones left alone', () => {
      // 8 <-> 9 refused (8 pinned), then 9 <-> 10: ref 9 gets ref 10's grant, not ref 8's.
      const chained = op('swap(d1: ref=8 <-> ref=9; ref=9 <-> ref=10)');
      const h = duringCopy(start, ['d1:8'], chained, {
        kind: 'swap_grant_ref',
        statuses: [GNTST_eagain, GNTST_okay],
      });
      const after = step(step(start, copy).state, op('swap(d1: ref=9 <-> ref=10)')).state;
      expect(linearize(start, h, after, transientlyBusy).kind).toBe('linearizable');
      const asIfBoth = step(step(start, copy).state, chained).state;
      expect(linearize(start, h, asIfBoth, transientlyBusy).kind).toBe('not-linearizable');
    });

    it('a transfer element refused bad_page while a copy held a page of the sender did nothing', () => {
      const accepting = [
        op('grant_transfer(d2 ref=9 <- d1 gfn=2)'),
        op('grant_transfer(d2 ref=10 <- d1 gfn=3)'),
      ].reduce((state, o) => step(state, o).state, granted);
      const transfer = op('transfer(d1: gfn=1 -> d2 ref=9; gfn=2 -> d2 ref=10)');
      const transferHistory = (pinned: readonly string[]): CompletedOp[] =>
        duringCopy(accepting, pinned, transfer, {
          kind: 'transfer',
          statuses: [GNTST_bad_page, GNTST_okay],
        });
      const final = step(step(accepting, copy).state, op('transfer(d1: gfn=2 -> d2 ref=10)')).state;
      expect(linearize(accepting, transferHistory(['d1:8']), final, transientlyBusy).kind).toBe(
        'linearizable',
      );
      // No overlapping op held anything of d1's: the bad_page is unexplained.
      expect(linearize(accepting, transferHistory([]), final, transientlyBusy).kind).toBe(
        'not-linearizable',
      );
    });
  });
});
