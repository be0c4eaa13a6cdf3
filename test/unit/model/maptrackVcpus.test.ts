// Maptrack with more than one vCPU (grant_table.c get_maptrack_handle / steal_maptrack_handle /
// put_maptrack_handle): every scenario runs on the model and on the impl, which must agree on
// every result and state; the handles and lists are pinned.

import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import type { GrantConfig } from '../../../src/config.ts';
import { abstract, abstractUncached, GrantSystem } from '../../../src/impl/index.ts';
import { freeLists } from '../../../src/model/maptrack.ts';
import { diffStates, initialState, stateKey, step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/index.ts';
import type { MapGrantRefOp, Op } from '../../../src/ops/op.ts';
import type { MapElementResult, MapGrantRefResult, OpResult } from '../../../src/ops/result.ts';
import { GNTST_no_space } from '../../../src/xen/abi.ts';
import { DEV, RO, grant, mapArgs, range, unmap, unmapArgs } from './helpers.ts';

/** The model and the impl side by side. */
class Both {
  model: ModelState;
  readonly impl: GrantSystem;
  constructor(config: GrantConfig) {
    this.model = initialState(config);
    this.impl = new GrantSystem(config);
  }
  run(op: Op): OpResult {
    const { state, result } = step(this.model, op);
    this.model = state;
    const implResult = this.impl.apply(op);
    expect(implResult).toEqual(result);
    const seen = abstract(this.impl);
    expect(diffStates(seen, state)).toEqual([]);
    expect(stateKey(seen)).toBe(stateKey(state));
    expect(stateKey(abstractUncached(this.impl))).toBe(stateKey(state));
    return result;
  }
  /** d2's vCPU `vcpu` maps d1's ref `ref` read-only for a device. */
  map(vcpu: number, ref = 8): MapElementResult {
    const op: MapGrantRefOp = {
      kind: 'map_grant_ref',
      caller: 2,
      vcpu,
      batch: [mapArgs(1, ref, DEV | RO)],
    };
    const r = (this.run(op) as MapGrantRefResult).results[0];
    if (r === undefined) throw new Error('no result');
    return r;
  }
  handle(vcpu: number, ref = 8): number {
    const r = this.map(vcpu, ref);
    if (!('handle' in r)) throw new Error(`map failed with ${r.status}`);
    return r.handle;
  }
  unmap(handle: number): void {
    expect(this.run(unmap(2, unmapArgs(handle, 0, 0x104 << 12)))).toEqual({
      kind: 'unmap_grant_ref',
      statuses: [0],
    });
  }
  /** d2's free lists, vCPU 0 first. */
  lists(): number[][] {
    const d = this.model.domains[2];
    if (d === undefined) throw new Error('no d2');
    return freeLists(d.maptrack).map((l) => l.toArray());
  }
}

function both(maxMaptrackFrames: number, vcpus: number): Both {
  const b = new Both(makeConfig({ maxMaptrackFrames, vcpus }));
  b.run(grant(1, 8, 2, 0, true));
  return b;
}

describe('maptrack with several vCPUs (model and impl)', () => {
  it('each vCPU grows the table for itself: a frame fills the calling vCPU list', () => {
    const b = both(2, 2);
    expect(b.handle(0)).toBe(0);
    expect(b.handle(1)).toBe(256);
    expect(b.handle(0)).toBe(1);
    expect(b.handle(1)).toBe(257);
    expect(b.lists()).toEqual([range(2, 256), range(258, 512)]);
  });

  it("a handle goes back to its mapper's list, whoever unmaps it", () => {
    const b = both(2, 2);
    b.handle(0); // 0
    b.handle(1); // 256
    b.handle(1); // 257
    b.unmap(257);
    b.unmap(0);
    expect(b.lists()).toEqual([
      [...range(1, 256), 0],
      [...range(258, 512), 257],
    ]);
    expect(b.model.domains[2]?.maptrack.mappings.get(256)?.vcpu).toBe(1);
  });

  it('steals from the next vCPU round the ring, first one more entry as the sentinel', () => {
    const b = both(1, 3);
    expect(b.handle(0)).toBe(0);
    // v1: no list, no headroom: steals 1 (from v0; v2 has none) as its sentinel, then 2
    expect(b.handle(1)).toBe(2);
    expect(b.lists()).toEqual([range(3, 256), [1], []]);
    expect(b.handle(1)).toBe(3); // its list is only the sentinel: steals again, no new sentinel
    b.unmap(2); // stolen: the entry now names v1
    expect(b.lists()).toEqual([range(4, 256), [1, 2], []]);
    expect(b.handle(1)).toBe(1); // from its own list now
    // v2: starts at v0 (the vCPU after it): 4 as sentinel, then 5
    expect(b.handle(2)).toBe(5);
    expect(b.lists()).toEqual([range(6, 256), [2], [4]]);
  });

  it('no_space when every list is down to its sentinel; a sentinel steal is kept', () => {
    const b = both(1, 2);
    b.run(grant(1, 9, 2, 1, true));
    b.run(grant(1, 10, 2, 2, true));
    // three refs: a device pin count stops at 127
    for (let i = 0; i < 255; i++) b.handle(0, 8 + (i % 3));
    expect(b.lists()).toEqual([[255], []]);
    expect(b.map(1)).toEqual({ status: GNTST_no_space });
    expect(b.lists()).toEqual([[255], []]);
    b.unmap(0);
    // v1 steals 255 as its sentinel, then finds nothing more: no_space, but 255 stays with v1
    expect(b.map(1)).toEqual({ status: GNTST_no_space });
    expect(b.lists()).toEqual([[0], [255]]);
    expect(b.map(0)).toEqual({ status: GNTST_no_space });
    expect(b.map(1)).toEqual({ status: GNTST_no_space });
    expect(b.lists()).toEqual([[0], [255]]);
  });

  it('one vCPU: no extra lists in the state', () => {
    const b = both(1, 1);
    b.handle(0);
    expect(b.model.domains[2]?.maptrack.otherFreeLists).toBeUndefined();
    expect(b.model.domains[2]?.maptrack.mappings.get(0)).toEqual({
      granter: 1,
      ref: 8,
      flags: DEV | RO,
    });
  });
});
