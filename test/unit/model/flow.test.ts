// The model's information-flow ghost (src/model/flow.ts, docs/semantics.md §15): which stores
// are labelled, what a grant permits, and how a transfer or a free ends a frame's era.
import { describe, expect, it } from 'vitest';
import { op } from '../../support/ops.ts';
import { makeConfig } from '../../../src/config.ts';
import {
  OWN_BYTES,
  flowLabel,
  flowOf,
  labelMover,
  labelOrigin,
  permitBit,
  withPermit,
  withStore,
  withTransferred,
  withoutFrame,
} from '../../../src/model/flow.ts';
import { initialState, stateKey, statesEqual, step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import { GNTMAP_host_map } from '../../../src/xen/abi.ts';

// Default config: d0..d2 with 4 pages each, MFNs 0x100..0x10b.
const CONFIG = makeConfig({});

function run(ops: readonly Op[]): ModelState {
  let state = initialState(CONFIG);
  for (const op of ops) state = step(state, op).state;
  return state;
}

describe('the flow ghost of the model', () => {
  it('packs a label as (origin, mover) and a permit as read bit d, write bit 16 + d', () => {
    expect([labelOrigin(flowLabel(0x105, 2)), labelMover(flowLabel(0x105, 2))]).toEqual([0x105, 2]);
    expect([labelOrigin(flowLabel(OWN_BYTES, 15)), labelMover(flowLabel(OWN_BYTES, 15))]).toEqual([
      OWN_BYTES,
      15,
    ]);
    expect(flowLabel(OWN_BYTES, 3)).toBeLessThan(flowLabel(0x100, 0));
    expect([permitBit(3, false), permitBit(3, true), permitBit(16, false)]).toEqual([
      1 << 3,
      1 << 19,
      0,
    ]);
  });

  it('labels no store into its own frame; a store through a writable mapping is labelled', () => {
    const state = run([
      { kind: 'write_page', dom: 0, gfn: 0, off: 0, len: 8, byte: 1 },
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 1, gfn: 1, readonly: false },
      {
        kind: 'map_grant_ref',
        caller: 1,
        batch: [{ dom: 0, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 }],
      },
      { kind: 'write_mapped', dom: 1, hostAddr: 0x1000, off: 0, len: 4, byte: 2 },
    ]);
    expect(flowOf(state)).toEqual({
      labels: new Map([[0x101, [flowLabel(OWN_BYTES, 1)]]]),
      permits: new Map([[0x101, permitBit(1, false) | permitBit(1, true)]]),
    });
  });

  it('labels no zero-length store through a writable mapping: no byte moved', () => {
    const state = run([
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 1, gfn: 1, readonly: false },
      {
        kind: 'map_grant_ref',
        caller: 1,
        batch: [{ dom: 0, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 }],
      },
      { kind: 'write_mapped', dom: 1, hostAddr: 0x1000, off: 8, len: 0, byte: 2 },
    ]);
    expect(flowOf(state).labels).toEqual(new Map());
  });

  it("a copy through a grant labels the caller's frame with the frame read, and permits it", () => {
    const state = run([
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 2, gfn: 3, readonly: true },
      op(
        'copy(d2: d0 ref=8 off=0 -> self gmfn=1 off=0 len=16; self gmfn=0 off=0 -> self gmfn=1 off=0 len=16)',
      ),
    ]);
    expect(flowOf(state)).toEqual({
      labels: new Map([[0x109, [flowLabel(0x103, 2)]]]),
      permits: new Map([[0x103, permitBit(2, false)]]),
    });
  });

  it("a transfer or a free ends the frame's era: its permits, its labels and labels naming it", () => {
    let state = initialState(CONFIG);
    state = withPermit(state, 0x103, 2, false);
    state = withStore(state, 0x109, 0x103, 2); // d2 read d0's 0x103 into its 0x109
    state = withStore(state, 0x109, 0x102, 2); // and d0's 0x102
    state = withStore(state, 0x103, undefined, 1); // d1 stored into d0's 0x103
    const transferred = withTransferred(state, 0x103, 1);
    expect(flowOf(transferred)).toEqual({
      labels: new Map([
        [0x109, [flowLabel(0x102, 2)]],
        [0x103, [flowLabel(0x103, 1)]],
      ]),
      permits: new Map([[0x103, permitBit(1, false)]]),
    });
    expect(flowOf(withoutFrame(state, 0x103))).toEqual({
      labels: new Map([[0x109, [flowLabel(0x102, 2)]]]),
      permits: new Map(),
    });
    const untouched = withoutFrame(state, 0x10b);
    expect(untouched).toBe(state);
  });

  it('is not part of the key nor of state equality', () => {
    const before = run([]);
    const labelled = withPermit(withStore(before, 0x100, undefined, 1), 0x100, 1, true);
    expect(flowOf(labelled).labels.size).toBe(1);
    expect(stateKey(labelled)).toBe(stateKey(before));
    expect(statesEqual(labelled, before)).toBe(true);
  });
});
