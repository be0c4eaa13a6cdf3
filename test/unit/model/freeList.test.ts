import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FreeList } from '../../../src/model/freeList.ts';
import { testSeeds } from '../../support/seeds.ts';

// FreeList against a plain array doing the same queue operations.
type QueueOp =
  | { op: 'shift' }
  | { op: 'rotate' }
  | { op: 'push'; handle: number }
  | { op: 'concat'; first: number; last: number };
const queueOp: fc.Arbitrary<QueueOp> = fc.oneof(
  fc.constant({ op: 'shift' as const }),
  fc.constant({ op: 'rotate' as const }),
  fc.integer({ min: 0, max: 40 }).map((handle) => ({ op: 'push' as const, handle })),
  fc
    .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 8 }))
    .map(([first, n]) => ({ op: 'concat' as const, first, last: first + n - 1 })),
);

describe('FreeList', () => {
  it('keeps Xen order for a fresh frame followed by the old sentinel', () => {
    const list = FreeList.range(257, 511).concat(FreeList.of([255]));
    expect(list.head).toBe(257);
    expect(list.length).toBe(256);
    expect(list.ranges()).toEqual([
      [257, 511],
      [255, 255],
    ]);
    expect(list.shift().push(256).toArray().slice(-3)).toEqual([511, 255, 256]);
  });

  for (const seed of testSeeds('FreeList vs array')) {
    it(`behaves as an array queue, and equals() is value equality (seed ${seed})`, () => {
      fc.assert(
        fc.property(fc.array(queueOp, { maxLength: 60 }), (ops) => {
          let list = FreeList.EMPTY;
          let array: number[] = [];
          for (const o of ops) {
            if (o.op === 'shift') {
              list = list.shift();
              array = array.slice(1);
            } else if (o.op === 'rotate') {
              // rotate is shift().push(head) in one copy: the same runs, not only the same handles
              const head = list.head;
              const slow = head === undefined ? list : list.shift().push(head);
              list = list.rotate();
              expect(list.equals(slow)).toBe(true);
              array = array.length === 0 ? array : [...array.slice(1), array[0] ?? 0];
            } else if (o.op === 'push') {
              list = list.push(o.handle);
              array = [...array, o.handle];
            } else {
              const tail = FreeList.range(o.first, o.last);
              list = list.concat(tail);
              array = [...array, ...tail.toArray()];
            }
            expect(list.toArray()).toEqual(array);
            expect(list.length).toBe(array.length);
            expect(list.head).toBe(array[0]);
            expect(list.equals(FreeList.of(array))).toBe(true);
          }
        }),
        { seed, numRuns: 200 },
      );
    });
  }
});
