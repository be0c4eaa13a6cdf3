// Seeded random ops over a tiny space, for tests that compare two ways of computing a state.

import { expect } from 'vitest';
import type { GrantSystem, ImplSnapshot } from '../../../src/impl/index.ts';
import { step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_reading,
  PAGE_SIZE,
} from '../../../src/xen/abi.ts';

/** A small seeded generator (xorshift32), so that runs are reproducible. */
export function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** Ops over a tiny space (3 domains, refs 7..9, gfns 0..4, handles 0..3) so that they collide:
 * maps and unmaps succeed often enough to matter. */
export function randomOp(r: (n: number) => number, state?: ModelState): Op {
  const dom = r(3);
  const other = r(3);
  const ref = 7 + r(3);
  const pick = <T>(xs: readonly T[]): T => xs[r(xs.length)] as T;
  const kind = pick([0, 0, 0, 1, 2, 3, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 8, 9]);
  switch (kind) {
    case 0:
      return { kind: 'grant_access', dom, ref, grantee: other, gfn: r(5), readonly: r(2) === 0 };
    case 1:
      return { kind: 'end_access', dom, ref };
    case 2:
      return { kind: 'grant_transfer', dom, ref, grantee: other, gfn: 10 + r(3) };
    case 3:
      return { kind: 'end_transfer', dom, ref };
    case 4:
      return {
        kind: 'raw_write',
        dom,
        ref,
        flags: pick([0, GTF_permit_access, GTF_accept_transfer, GTF_permit_access | GTF_reading]),
        domid: other,
        frame: r(5),
      };
    case 5: {
      // Mostly the grantee the entry names, so that maps succeed.
      const named = state?.domains[dom]?.grantTable.entries.get(ref)?.domid;
      const caller = named !== undefined && named < 3 && r(4) !== 0 ? named : other;
      const flags =
        pick([GNTMAP_host_map, GNTMAP_device_map, GNTMAP_host_map | GNTMAP_device_map]) |
        (r(2) === 0 ? GNTMAP_readonly : 0);
      return {
        kind: 'map_grant_ref',
        caller,
        batch: [{ dom, ref, flags, hostAddr: r(4) * PAGE_SIZE }],
      };
    }
    case 6: {
      // Mostly a live handle, with the right device address.
      const live = [...(state?.domains[other]?.maptrack.mappings ?? new Map())];
      const hit = live.length > 0 && r(4) !== 0 ? live[r(live.length)] : undefined;
      const mfn = hit
        ? state?.domains[hit[1].granter]?.grantTable.active.get(hit[1].ref)?.mfn
        : undefined;
      const devBusAddr =
        r(3) === 0 ? 0 : (mfn !== undefined && r(4) !== 0 ? mfn : 0x100 + r(12)) * PAGE_SIZE;
      return {
        kind: 'unmap_grant_ref',
        caller: other,
        batch: [
          { handle: hit ? hit[0] : r(4), hostAddr: r(3) === 0 ? 0 : r(4) * PAGE_SIZE, devBusAddr },
        ],
      };
    }
    case 7:
      return { kind: 'transfer', caller: dom, batch: [{ gfn: r(5), domid: other, ref }] };
    case 8:
      return { kind: 'setup_table', caller: dom, dom: other, nrFrames: r(3) };
    default:
      return { kind: 'query_size', caller: dom, dom: other };
  }
}

/** A seeded walk of `steps` ops applied to the impl `s` and to the model together, with snapshots
 * taken and restored at random (each about one step in twenty): every result must equal the
 * model's, and `check` runs after every step with the model state and a label for messages. */
export function walkWithSnapshots(
  s: GrantSystem,
  model: ModelState,
  seed: number,
  steps: number,
  nextOp: (r: (n: number) => number, model: ModelState) => Op,
  check: (model: ModelState, where: string) => void,
): void {
  const r = rng(seed);
  const saved: { snap: ImplSnapshot; model: ModelState }[] = [];
  for (let i = 0; i < steps; i++) {
    const where = `seed ${seed} step ${i}`;
    const choice = r(20);
    if (choice === 0) {
      saved.push({ snap: s.snapshot(), model });
    } else if (choice === 1 && saved.length > 0) {
      const back = saved[r(saved.length)];
      if (back === undefined) continue;
      s.restore(back.snap);
      model = back.model;
    } else {
      const op = nextOp(r, model);
      const next = step(model, op);
      expect(s.apply(op), where).toEqual(next.result);
      model = next.state;
    }
    check(model, where);
  }
}
