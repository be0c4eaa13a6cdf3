// The information-flow invariant (flows-permitted) against the two copy faults that leak bytes:
// each fault's counterexample, with bytes in the page it reaches, leaves the faulted impl in a
// state where flows-permitted — and no other invariant of the catalogue — names the leak; the
// correct impl and the model refuse the element and keep the invariant. (The harness reports
// these runs first as result mismatches: the invariant is what states the leak itself.)
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { makeConfig } from '../../src/config.ts';
import { copyDomainCacheSelfRule } from '../../src/faults/copyDomainCacheSelfRule.ts';
import { copySourcePastPageEnd } from '../../src/faults/copySourcePastPageEnd.ts';
import type { Fault } from '../../src/faults/fault.ts';
import { ImplView } from '../../src/harness/implView.ts';
import { GrantSystem } from '../../src/impl/index.ts';
import { initialState, step } from '../../src/model/index.ts';
import type { Op } from '../../src/ops/op.ts';
import type { OpResult } from '../../src/ops/result.ts';
import { DOMID_SELF, GNTCOPY_source_gref, PAGE_SIZE } from '../../src/xen/abi.ts';

// Default config: d0..d2 with 4 pages each, MFNs 0x100..0x10b.
const CONFIG = makeConfig({});

interface Leak {
  readonly fault: Fault;
  readonly ops: readonly Op[];
  readonly faultedCopy: readonly number[];
  readonly correctCopy: readonly number[];
  readonly names: RegExp;
}

const LEAKS: readonly Leak[] = [
  {
    // d0 grants d1 one page (ref 8); a first element through that grant caches the pair
    // (d0, DOMID_SELF) and moves nothing; the second names d0's gfn 1 under d0's numeric id.
    fault: copyDomainCacheSelfRule,
    ops: [
      { kind: 'write_page', dom: 0, gfn: 1, off: 0, len: 8, byte: 0x77 },
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 1, gfn: 0, readonly: true },
      {
        kind: 'copy',
        caller: 1,
        batch: [
          {
            source: { u: 8, domid: 0, offset: 0 },
            dest: { u: 0, domid: DOMID_SELF, offset: 0 },
            len: 0,
            flags: GNTCOPY_source_gref,
          },
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
    names: /^mfn 0x104 of d1 holds bytes of d0, which no grant let reach d1$/,
  },
  {
    // d0 grants d2 its last page (mfn 0x103); the next machine frame is d1's gfn 0 (0x104).
    fault: copySourcePastPageEnd,
    ops: [
      { kind: 'write_page', dom: 1, gfn: 0, off: 0, len: 1, byte: 0x99 },
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 2, gfn: 3, readonly: true },
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
    names: /^mfn 0x108 of d2 holds bytes of d1, which no grant let reach d2$/,
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
    it(`${leak.fault.id}: the faulted impl moves the bytes, and only flows-permitted names it`, () => {
      const system = new GrantSystem(CONFIG, leak.fault.parts);
      const results = leak.ops.map((op) => system.apply(op));
      expect(copyStatuses(results.at(-1))).toEqual(leak.faultedCopy);
      expect(failing(system)).toEqual({ 'flows-permitted': expect.stringMatching(leak.names) });
    });

    it(`${leak.fault.id}: the correct impl and the model refuse, and keep every invariant`, () => {
      const system = new GrantSystem(CONFIG);
      const results = leak.ops.map((op) => system.apply(op));
      expect(copyStatuses(results.at(-1))).toEqual(leak.correctCopy);
      expect(failing(system)).toEqual({});
      let state = initialState(CONFIG);
      for (const op of leak.ops) state = step(state, op).state;
      for (const inv of INVARIANTS) expect(inv.onModel(state), inv.name).toBeNull();
    });
  }

  it('the model, corrupted to skip the DOMID_SELF rule the same way, fails it too', () => {
    // The model's ghost follows the model's own data movement: labels arrive with the bytes
    // and a gmfn side counts as the caller's own, so forcing the leaked state shows the check.
    const leak = LEAKS[0];
    if (leak === undefined) throw new Error('no leak');
    let state = initialState(CONFIG);
    for (const op of leak.ops.slice(0, 2)) state = step(state, op).state;
    const flow = state.flow;
    expect(flow?.labels).toEqual(new Map([[0x101, 1 << 0]]));
    const leaked = {
      ...state,
      flow: {
        labels: new Map([
          [0x101, 1],
          [0x104, 1],
        ]),
        permitted: [],
      },
    };
    const inv = INVARIANTS.find((i) => i.name === 'flows-permitted');
    expect(inv?.onModel(leaked)).toMatch(leak.names);
  });
});
