// The information-flow ghost (docs/semantics.md §15) in the impl: per-frame origin labels and
// permits recorded by the frame table, equal to the model's ghost after every op of random runs
// (with copies, page writes, transfers and snapshots), and flows-permitted holding on both sides.
import { describe, expect, it } from 'vitest';
import { op } from '../../support/ops.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { makeConfig } from '../../../src/config.ts';
import { ImplView } from '../../../src/harness/implView.ts';
import type { GrantSystem } from '../../../src/impl/index.ts';
import { flowLabel, flowOf, labelOrigin, OWN_BYTES, permitBit } from '../../../src/model/flow.ts';
import { initialState } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTMAP_host_map,
  PAGE_SIZE,
} from '../../../src/xen/abi.ts';
import { system } from './helpers.ts';
import { randomOp, walkWithSnapshots } from './randomOps.ts';

/** Page writes and copies over randomOp's small space (refs 8..10, gfns 0..4, host pages 0..3). */
function dataOp(r: (n: number) => number): Op {
  const dom = r(3);
  const off = [0, 8, PAGE_SIZE - 1][r(3)] ?? 0;
  const len = [0, 1, 8][r(3)] ?? 0;
  if (r(3) === 0) return { kind: 'write_page', dom, gfn: r(5), off, len, byte: 1 + r(2) };
  if (r(3) === 0) {
    return { kind: 'write_mapped', dom, hostAddr: r(4) * PAGE_SIZE, off, len, byte: 3 };
  }
  const side = (gref: boolean) =>
    gref ? { u: 8 + r(3), domid: r(3), offset: off } : { u: r(5), domid: DOMID_SELF, offset: 0 };
  const flags = r(4);
  const element = () => ({
    source: side((flags & GNTCOPY_source_gref) !== 0),
    dest: side((flags & GNTCOPY_dest_gref) !== 0),
    len,
    flags,
  });
  return { kind: 'copy', caller: dom, batch: r(2) === 0 ? [element()] : [element(), element()] };
}

interface Ghost {
  readonly labels: Map<number, readonly number[]>;
  readonly permits: Map<number, number>;
}

/** The impl's ghost in the model's shape. */
function implFlow(s: GrantSystem): Ghost {
  const { frames } = s.xen;
  const labels = new Map<number, readonly number[]>();
  const permits = new Map<number, number>();
  for (let mfn = frames.firstMfn; mfn < frames.firstMfn + frames.nrFrames; mfn++) {
    const list = frames.labelsOf(mfn);
    if (list.length > 0) labels.set(mfn, list);
    const bits = frames.permitsOf(mfn);
    if (bits !== 0) permits.set(mfn, bits);
  }
  return { labels, permits };
}

function modelFlow(state: ModelState): Ghost {
  const flow = flowOf(state);
  const byMfn = <V>(m: ReadonlyMap<number, V>) => new Map([...m].sort(([a], [b]) => a - b));
  return { labels: byMfn(flow.labels), permits: byMfn(flow.permits) };
}

const FLOWS = INVARIANTS.find((i) => i.name === 'flows-permitted');

describe('the information-flow ghost', () => {
  it('labels a copy with the frame it read, and permits that frame to the caller', () => {
    const s = system();
    s.apply({ kind: 'write_page', dom: 0, gfn: 0, off: 0, len: 4, byte: 7 }); // mfn 0x100
    s.apply({ kind: 'grant_access', dom: 0, ref: 8, grantee: 2, gfn: 0, readonly: true });
    const copy: Op = op('copy(d2: d0 ref=8 off=0 -> self gmfn=1 off=0 len=4)');
    expect(s.apply(copy)).toEqual({ kind: 'copy', statuses: [0] });
    // d0's store into its own page crossed nothing; d2's copy read d0's granted frame
    expect(implFlow(s)).toEqual({
      labels: new Map([[0x109, [flowLabel(0x100, 2)]]]),
      permits: new Map([[0x100, permitBit(2, false)]]),
    });
  });

  it("labels a store through a writable mapping of another domain's frame with its writer", () => {
    const s = system();
    s.apply({ kind: 'grant_access', dom: 0, ref: 8, grantee: 1, gfn: 2, readonly: false });
    s.apply({
      kind: 'map_grant_ref',
      caller: 1,
      batch: [{ dom: 0, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 }],
    });
    s.apply({ kind: 'write_mapped', dom: 1, hostAddr: 0x1000, off: 0, len: 2, byte: 5 });
    expect(implFlow(s)).toEqual({
      labels: new Map([[0x102, [flowLabel(OWN_BYTES, 1)]]]),
      permits: new Map([[0x102, permitBit(1, false) | permitBit(1, true)]]),
    });
  });

  it('starts a new era for a transferred frame: the old grants and reads of it end', () => {
    const s = system();
    // d0 grants its gfn 3 (mfn 0x103) to d1, which copies from it; then d0 gives the page to d2
    s.apply({ kind: 'grant_access', dom: 0, ref: 8, grantee: 1, gfn: 3, readonly: true });
    s.apply(op('copy(d1: d0 ref=8 off=0 -> self gmfn=0 off=0 len=4)'));
    expect(implFlow(s).labels).toEqual(new Map([[0x104, [flowLabel(0x103, 1)]]]));
    s.apply({ kind: 'end_access', dom: 0, ref: 8 });
    s.apply({ kind: 'grant_transfer', dom: 2, ref: 8, grantee: 0, gfn: 5 });
    expect(s.apply({ kind: 'transfer', caller: 0, batch: [{ gfn: 3, domid: 2, ref: 8 }] })).toEqual(
      { kind: 'transfer', statuses: [0] },
    );
    expect(implFlow(s)).toEqual({
      labels: new Map([[0x103, [flowLabel(0x103, 2)]]]),
      permits: new Map([[0x103, permitBit(2, false)]]),
    });
  });

  it('equals the model ghost after every op, and flows-permitted holds on both', () => {
    if (!FLOWS) throw new Error('no flows-permitted');
    const config = makeConfig();
    let labels = 0; // labels summed over steps
    let permits = 0; // permit words summed over steps
    let transferred = 0; // frames labelled with their own number: received by a transfer
    for (const seed of [21, 22, 23, 24]) {
      const s = system();
      const pick = (r: (n: number) => number, model: ModelState): Op =>
        r(2) === 0 ? dataOp(r) : randomOp(r, model);
      walkWithSnapshots(s, initialState(config), seed, 400, pick, (model, where) => {
        expect(implFlow(s), where).toEqual(modelFlow(model));
        expect(FLOWS.onModel(model), where).toBeNull();
        expect(FLOWS.onImpl(new ImplView(s)), where).toBeNull();
        const flow = flowOf(model);
        for (const [mfn, list] of flow.labels) {
          labels += list.length;
          if (list.some((l) => labelOrigin(l) === mfn)) transferred++;
        }
        permits += flow.permits.size;
      });
    }
    // the runs label frames, permit them, and transfer some
    expect({ labels, permits, transferred }).toEqual({
      labels: 220,
      permits: 1124,
      transferred: 184,
    });
  });
});
