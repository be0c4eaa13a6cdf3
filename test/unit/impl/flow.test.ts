// The information-flow ghost (docs/semantics.md §15) in the impl: origin labels and permitted
// flows recorded by the frame table, equal to the model's ghost after every op of random runs
// (with copies, page writes and snapshots), and flows-permitted holding on both sides.
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { makeConfig } from '../../../src/config.ts';
import { ImplView } from '../../../src/harness/implView.ts';
import type { GrantSystem } from '../../../src/impl/index.ts';
import { flowOf } from '../../../src/model/flow.ts';
import { initialState } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
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

/** The impl's ghost in the model's shape. */
function implFlow(s: GrantSystem): { labels: Map<number, number>; permitted: number[] } {
  const { frames, domains } = s.xen;
  const labels = new Map<number, number>();
  for (let i = 0; i < frames.nrFrames; i++) {
    const mask = frames.labels[i] ?? 0;
    if (mask !== 0) labels.set(frames.firstMfn + i, mask);
  }
  return { labels, permitted: domains.map((d) => frames.flows[d.id] ?? 0) };
}

function modelFlow(state: ModelState): { labels: Map<number, number>; permitted: number[] } {
  const flow = flowOf(state);
  const sorted = [...flow.labels].sort(([a], [b]) => a - b);
  return {
    labels: new Map(sorted),
    permitted: state.domains.map((d) => flow.permitted[d.id] ?? 0),
  };
}

const FLOWS = INVARIANTS.find((i) => i.name === 'flows-permitted');

describe('the information-flow ghost', () => {
  it('labels a store with its domain, and a copy with the origins of what it read', () => {
    const s = system();
    s.apply({ kind: 'write_page', dom: 0, gfn: 0, off: 0, len: 4, byte: 7 }); // mfn 0x100
    s.apply({ kind: 'grant_access', dom: 0, ref: 8, grantee: 2, gfn: 0, readonly: true });
    const copy: Op = {
      kind: 'copy',
      caller: 2,
      batch: [
        {
          source: { u: 8, domid: 0, offset: 0 },
          dest: { u: 1, domid: DOMID_SELF, offset: 0 },
          len: 4,
          flags: GNTCOPY_source_gref,
        },
      ],
    };
    expect(s.apply(copy)).toEqual({ kind: 'copy', statuses: [0] });
    expect(implFlow(s)).toEqual({
      labels: new Map([
        [0x100, 0b001],
        [0x109, 0b001],
      ]),
      permitted: [0, 0, 0b001],
    });
  });

  it('equals the model ghost after every op, and flows-permitted holds on both', () => {
    if (!FLOWS) throw new Error('no flows-permitted');
    const config = makeConfig();
    let labelled = 0;
    let flowed = 0; // steps after some flow was permitted
    let crossed = 0; // pages holding another domain's bytes, summed over steps
    for (const seed of [21, 22, 23, 24]) {
      const s = system();
      const pick = (r: (n: number) => number, model: ModelState): Op =>
        r(2) === 0 ? dataOp(r) : randomOp(r, model);
      walkWithSnapshots(s, initialState(config), seed, 400, pick, (model, where) => {
        expect(implFlow(s), where).toEqual(modelFlow(model));
        expect(FLOWS.onModel(model), where).toBeNull();
        expect(FLOWS.onImpl(new ImplView(s)), where).toBeNull();
        labelled += flowOf(model).labels.size;
        if (flowOf(model).permitted.some((m) => m !== 0)) flowed++;
        crossed += [...flowOf(model).labels].filter(
          ([mfn, mask]) => (mask & ~(1 << (model.frameOwner.get(mfn) ?? 0))) !== 0,
        ).length;
      });
    }
    // the runs label pages, permit flows, and move bytes across domains
    expect({ labelled, flowed, crossed }).toEqual({ labelled: 3299, flowed: 437, crossed: 104 });
  });
});
