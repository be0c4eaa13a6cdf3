// The promises of the copy step properties (copy-leaves-no-pin, writes-only-where-writable) as
// state invariants on both sides: a copy that leaves its pin is named by pin-accounting (a pin
// no maptrack handle accounts for), and bytes stored through a read-only grant by
// flows-permitted (a store into a frame no writable grant let its writer write). docs/properties.md.
import { describe, expect, it } from 'vitest';
import { op } from '../support/ops.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { makeConfig } from '../../src/config.ts';
import { ImplView } from '../../src/harness/implView.ts';
import { DEFAULT_PARTS, GrantSystem } from '../../src/impl/index.ts';
import type { ImplParts } from '../../src/impl/index.ts';
import { storeBytes } from '../../src/impl/guest/memory.ts';
import { initialState, step } from '../../src/model/index.ts';
import { withStore } from '../../src/model/flow.ts';
import type { Op } from '../../src/ops/op.ts';
import { GNTMAP_host_map, GNTMAP_readonly } from '../../src/xen/abi.ts';

const CONFIG = makeConfig({});
const D1_GFN0 = 0x104;

function failing(system: GrantSystem): Record<string, string> {
  const view = new ImplView(system);
  const out: Record<string, string> = {};
  for (const inv of INVARIANTS) {
    const m = inv.onImpl(view);
    if (m !== null) out[inv.name] = m;
  }
  return out;
}

const GRANT_RO: Op = { kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: true };

describe('copy-leaves-no-pin as a state invariant: pin-accounting', () => {
  // A variant of gnttab_copy_one that forgets it holds the source grant, so that
  // gnttab_copy_release_buf never calls release_grant_for_copy.
  const forgetGrant: ImplParts['gnttabCopyOne'] = function* (xen, caller, op, dest, src) {
    const rc = yield* DEFAULT_PARTS.gnttabCopyOne(xen, caller, op, dest, src);
    src.haveGrant = false;
    return rc;
  };
  const COPY: Op = op('copy(d2: d1 ref=8 off=0 -> self gmfn=0 off=0 len=4)');

  it('a copy that leaves its pin behind fails pin-accounting (and status-bits-mirror-pins holds: GTF_reading stays with the pin)', () => {
    const system = new GrantSystem(CONFIG, { gnttabCopyOne: forgetGrant });
    system.apply(GRANT_RO);
    expect(system.apply(COPY)).toEqual({ kind: 'copy', statuses: [0] });
    expect(Object.keys(failing(system))).toEqual(['pin-accounting']);
    expect(failing(system)['pin-accounting']).toMatch(/^d1 ref 8: pin 0x100 but live mappings/);
  });

  it('the correct copy releases it: every invariant holds, on the impl and the model', () => {
    const system = new GrantSystem(CONFIG);
    let state = initialState(CONFIG);
    for (const op of [GRANT_RO, COPY]) {
      system.apply(op);
      state = step(state, op).state;
    }
    expect(failing(system)).toEqual({});
    for (const inv of INVARIANTS) expect(inv.onModel(state), inv.name).toBeNull();
  });
});

describe('writes-only-where-writable as a state invariant: flows-permitted', () => {
  const MAP_RO: Op = {
    kind: 'map_grant_ref',
    caller: 2,
    batch: [{ dom: 1, ref: 8, flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: 0x1000 }],
  };

  it('impl: a store through a read-only grant PTE is a store no writable grant permitted', () => {
    const system = new GrantSystem(CONFIG);
    system.apply(GRANT_RO);
    system.apply(MAP_RO);
    expect(failing(system)).toEqual({});
    // what a write_mapped that ignored the PTE's missing _PAGE_RW would do
    storeBytes(system.xen, 2, D1_GFN0, 0, 4, 0x5a);
    expect(failing(system)).toEqual({
      'flows-permitted': 'mfn 0x104 of d1 holds bytes d2 stored, which no grant let d2 write there',
    });
  });

  it('model: the same store, and the refused write_mapped leaves no label', () => {
    let state = initialState(CONFIG);
    for (const op of [GRANT_RO, MAP_RO]) state = step(state, op).state;
    const refused = step(state, {
      kind: 'write_mapped',
      dom: 2,
      hostAddr: 0x1000,
      off: 0,
      len: 4,
      byte: 0x5a,
    });
    expect(refused.result).toEqual({ kind: 'write_mapped', outcome: 'readonly' });
    expect(refused.state.flow?.labels.get(D1_GFN0)).toBeUndefined();
    const inv = INVARIANTS.find((i) => i.name === 'flows-permitted');
    expect(inv?.onModel(withStore(state, D1_GFN0, undefined, 2))).toBe(
      'mfn 0x104 of d1 holds bytes d2 stored, which no grant let d2 write there',
    );
  });
});
