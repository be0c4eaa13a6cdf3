// The information-flow invariant (flows-permitted) against the two copy faults that leak bytes:
// each fault's leak, from (or into) a frame of a domain that granted the caller another frame,
// leaves the faulted impl in a state where flows-permitted — and no other invariant of the
// catalogue — names the frame; the correct impl and the model refuse the element and keep the
// invariant. Only a per-frame check sees these: the domains did share a frame. The harness
// reports each such step as a result mismatch and, at the same step, flows-permitted.
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { makeConfig } from '../../src/config.ts';
import { copyDomainCacheSelfRule } from '../../src/faults/copyDomainCacheSelfRule.ts';
import { copySourcePastPageEnd } from '../../src/faults/copySourcePastPageEnd.ts';
import type { Fault } from '../../src/faults/fault.ts';
import { ImplView } from '../../src/harness/implView.ts';
import { GrantSystem } from '../../src/impl/index.ts';
import { flowLabel, permitBit, withStore } from '../../src/model/flow.ts';
import { initialState, step } from '../../src/model/index.ts';
import type { Op } from '../../src/ops/op.ts';
import type { OpResult } from '../../src/ops/result.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  PAGE_SIZE,
} from '../../src/xen/abi.ts';

// Default config: d0..d2 with 4 pages each, MFNs 0x100..0x10b.
const CONFIG = makeConfig({});

interface Leak {
  readonly fault: Fault;
  readonly what: string;
  readonly ops: readonly Op[];
  readonly faultedCopy: readonly number[];
  readonly correctCopy: readonly number[];
  readonly names: RegExp;
}

const COPY_8_FROM_D0_GFN0 = {
  source: { u: 8, domid: 0, offset: 0 },
  dest: { u: 0, domid: DOMID_SELF, offset: 0 },
  len: 8,
  flags: GNTCOPY_source_gref,
};

const LEAKS: readonly Leak[] = [
  {
    // d0 grants d1 its gfn 0 (ref 8); a first element copies through that grant and caches the
    // pair (d0, DOMID_SELF); the second names d0's gfn 1 (mfn 0x101) under d0's numeric id.
    fault: copyDomainCacheSelfRule,
    what: 'from a frame not granted',
    ops: [
      { kind: 'write_page', dom: 0, gfn: 1, off: 0, len: 8, byte: 0x77 },
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 1, gfn: 0, readonly: true },
      {
        kind: 'copy',
        caller: 1,
        batch: [
          COPY_8_FROM_D0_GFN0,
          {
            source: { u: 1, domid: 0, offset: 0 },
            dest: { u: 0, domid: DOMID_SELF, offset: 0 },
            len: 8,
            flags: 0,
          },
        ],
      },
    ],
    faultedCopy: [0, 0],
    correctCopy: [0, -8], // GNTST_permission_denied
    names: /^mfn 0x104 of d1 holds bytes of mfn 0x101, which no grant let d1 read$/,
  },
  {
    // The other direction: d0 grants d1 its gfn 0 writable; the first element copies into it,
    // the second into d0's gfn 1 (mfn 0x101), named under d0's numeric id.
    fault: copyDomainCacheSelfRule,
    what: 'into a frame not granted',
    ops: [
      { kind: 'write_page', dom: 1, gfn: 0, off: 0, len: 8, byte: 0x55 },
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 1, gfn: 0, readonly: false },
      {
        kind: 'copy',
        caller: 1,
        batch: [
          {
            source: { u: 0, domid: DOMID_SELF, offset: 0 },
            dest: { u: 8, domid: 0, offset: 0 },
            len: 8,
            flags: GNTCOPY_dest_gref,
          },
          {
            source: { u: 0, domid: DOMID_SELF, offset: 0 },
            dest: { u: 1, domid: 0, offset: 0 },
            len: 8,
            flags: 0,
          },
        ],
      },
    ],
    faultedCopy: [0, 0],
    correctCopy: [0, -8], // GNTST_permission_denied
    names: /^mfn 0x101 of d0 holds bytes d1 stored, which no grant let d1 write there$/,
  },
  {
    // d0 grants d2 its gfn 2 (mfn 0x102); the next machine frame is d0's gfn 3 (0x103).
    fault: copySourcePastPageEnd,
    what: 'from the frame after the granted one',
    ops: [
      { kind: 'write_page', dom: 0, gfn: 3, off: 0, len: 1, byte: 0x99 },
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 2, gfn: 2, readonly: true },
      {
        kind: 'copy',
        caller: 2,
        batch: [
          {
            source: { u: 8, domid: 0, offset: PAGE_SIZE - 1 },
            dest: { u: 0, domid: DOMID_SELF, offset: 0 },
            len: 2,
            flags: GNTCOPY_source_gref,
          },
        ],
      },
    ],
    faultedCopy: [0],
    correctCopy: [-10], // GNTST_bad_copy_arg
    names: /^mfn 0x108 of d2 holds bytes of mfn 0x103, which no grant let d2 read$/,
  },
];

function copyStatuses(r: OpResult | undefined): readonly number[] {
  return r?.kind === 'copy' ? r.statuses : [];
}

/** The invariants of the catalogue that fail on the impl, with their messages. */
function failing(system: GrantSystem): Record<string, string> {
  const view = new ImplView(system);
  const out: Record<string, string> = {};
  for (const inv of INVARIANTS) {
    const m = inv.onImpl(view);
    if (m !== null) out[inv.name] = m;
  }
  return out;
}

describe('flows-permitted catches the copy faults that leak bytes', () => {
  for (const leak of LEAKS) {
    it(`${leak.fault.id} (${leak.what}): the faulted impl moves the bytes, and only flows-permitted names it`, () => {
      const system = new GrantSystem(CONFIG, leak.fault.parts);
      const results = leak.ops.map((op) => system.apply(op));
      expect(copyStatuses(results.at(-1))).toEqual(leak.faultedCopy);
      expect(failing(system)).toEqual({ 'flows-permitted': expect.stringMatching(leak.names) });
    });

    it(`${leak.fault.id} (${leak.what}): the correct impl and the model refuse, and keep every invariant`, () => {
      const system = new GrantSystem(CONFIG);
      const results = leak.ops.map((op) => system.apply(op));
      expect(copyStatuses(results.at(-1))).toEqual(leak.correctCopy);
      expect(failing(system)).toEqual({});
      let state = initialState(CONFIG);
      for (const op of leak.ops) state = step(state, op).state;
      for (const inv of INVARIANTS) expect(inv.onModel(state), inv.name).toBeNull();
    });
  }

  it('the model, with the leaked store forced into its ghost, fails it too', () => {
    // The model's ghost follows the model's own stores; it refuses the leaking element, so the
    // leak is forced: d1 holds a permit of d0's gfn 0 frame, not of its gfn 1 frame.
    const leak = LEAKS[0];
    if (leak === undefined) throw new Error('no leak');
    let state = initialState(CONFIG);
    for (const op of leak.ops) state = step(state, op).state;
    expect(state.flow?.labels).toEqual(new Map([[0x104, [flowLabel(0x100, 1)]]]));
    expect(state.flow?.permits).toEqual(new Map([[0x100, permitBit(1, false)]]));
    const inv = INVARIANTS.find((i) => i.name === 'flows-permitted');
    expect(inv?.onModel(state)).toBeNull();
    expect(inv?.onModel(withStore(state, 0x104, 0x101, 1))).toMatch(leak.names);
  });
});
