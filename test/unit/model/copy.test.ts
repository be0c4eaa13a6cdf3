// GNTTABOP_copy, model and impl side by side: each scenario is run on both, which must agree on
// every result and state; the expected statuses are Xen 4.17.7's (docs/semantics.md §14).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { GrantSystem, abstract } from '../../../src/impl/index.ts';
import { initialState, statesEqual, step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import { parseOp } from '../../../src/ops/text.ts';
import { GTF_reading, GTF_writing } from '../../../src/xen/abi.ts';

function run(...texts: string[]): { results: OpResult[]; state: ModelState } {
  const config = makeConfig();
  const impl = new GrantSystem(config);
  let state = initialState(config);
  const results: OpResult[] = [];
  for (const text of texts) {
    const parsed = parseOp(text);
    if (!parsed.ok) throw new Error(parsed.error);
    const next = step(state, parsed.op);
    expect(impl.apply(parsed.op), text).toEqual(next.result);
    state = next.state;
    expect(statesEqual(abstract(impl), state), text).toBe(true);
    results.push(next.result);
  }
  return { results, state };
}

function statuses(r: OpResult | undefined): readonly number[] {
  if (r?.kind !== 'copy') throw new Error(`not a copy: ${r?.kind}`);
  return r.statuses;
}

// 3 domains of 4 pages: d1's gfn g is mfn 0x104+g, d2's is 0x108+g.
const D1G0 = 0x104;
const D2G0 = 0x108;

describe('GNTTABOP_copy', () => {
  it('moves the bytes of a granted page into the caller, and leaves no pin or status bit', () => {
    const { results, state } = run(
      'write_page(d1 gfn=0 off=0 len=16 byte=0xab)',
      'grant_access(d1 ref=8 -> d2 gfn=0 ro)',
      'copy(d2: d1 ref=8 off=8 -> self gmfn=0 off=100 len=16)',
    );
    expect(statuses(results[2])).toEqual([0]);
    expect(state.contents.get(D2G0)?.key).toBe('100-108:ab');
    expect(state.contents.get(D1G0)?.key).toBe('0-16:ab');
    expect(state.domains[1]?.grantTable.active.size).toBe(0);
    expect(state.domains[1]?.grantTable.entries.get(8)?.flags).toBe(0x5); // permit|readonly
  });

  it('refuses a read-only grant as destination, and a grant to another domain', () => {
    const { results } = run(
      'grant_access(d1 ref=8 -> d2 gfn=0 ro)',
      'grant_access(d1 ref=9 -> d0 gfn=1 rw)',
      'copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=1; self gmfn=0 off=0 -> d1 ref=9 off=0 len=1)',
    );
    expect(statuses(results[2])).toEqual([-1, -1]);
  });

  it('checks in Xen order: domains, then per side the DOMID_SELF rule and the claim, then bounds', () => {
    // the order real Xen (Debian's 4.17.7+13, with XSA-523) answered with
    const { results } = run(
      'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      'copy(d2: d9 ref=8 off=0 -> self gmfn=0 off=0 len=1)',
      'copy(d2: d1 gmfn=0 off=0 -> d9 ref=8 off=0 len=1)',
      'copy(d2: d1 gmfn=0 off=0 -> d9 gmfn=0 off=0 len=1)',
      'copy(d2: self gmfn=77 off=0 -> d1 gmfn=0 off=0 len=1)',
      'copy(d2: self gmfn=0 off=4095 -> d1 gmfn=0 off=0 len=2)',
      'copy(d2: d1 ref=8 off=0 -> d9 ref=8 off=0 len=1)',
      'copy(d2: d1 ref=9999 off=4095 -> self gmfn=0 off=0 len=2)',
      'copy(d2: d1 ref=8 off=4095 -> self gmfn=77 off=0 len=2)',
      'copy(d2: d1 ref=8 off=4095 -> self gmfn=0 off=0 len=2)',
      'copy(d2: d1 ref=8 off=0 -> self gmfn=0 off=4096 len=0)',
    );
    expect(results.slice(1).map((r) => statuses(r)[0])).toEqual([
      -2, -2, -2, -9, -8, -2, -3, -9, -10, 0,
    ]);
  });

  it('runs a zero-length copy through every check (4.17.7 predates a4a790f432)', () => {
    const { results } = run(
      'copy(d2: d1 ref=8 off=0 -> self gmfn=0 off=0 len=0)',
      'copy(d2: self gmfn=99 off=0 -> self gmfn=0 off=0 len=0)',
      'copy(d2: d1 gmfn=0 off=0 -> self gmfn=0 off=0 len=0)',
    );
    expect(results.map((r) => statuses(r)[0])).toEqual([-1, -9, -8]);
  });

  it('checks the DOMID_SELF rule for every element, also when the domain pair is cached', () => {
    const { results, state } = run(
      'write_page(d1 gfn=1 off=0 len=4096 byte=0x77)',
      'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      'copy(d2: d1 ref=8 off=0 -> self gmfn=0 off=0 len=1; d1 gmfn=1 off=0 -> self gmfn=0 off=0 len=4096)',
      'copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=1; self gmfn=0 off=0 -> d1 gmfn=1 off=0 len=1)',
    );
    expect(statuses(results[2])).toEqual([0, -8]);
    expect(statuses(results[3])).toEqual([0, -8]);
    expect(state.contents.get(D2G0)).toBeUndefined(); // d1's 0x77 page never reached d2
  });

  it("a repeated element reuses the batch's buffers: a gmfn equal to the cached ref hits", () => {
    // d1 grants its own gfn 1 to itself; gmfn 8 is not d1's page, but the second element's
    // source matches the cached buffer by number (gnttab_copy_buf_valid) and is not claimed.
    const { results, state } = run(
      'write_page(d1 gfn=1 off=0 len=4 byte=0x5)',
      'grant_access(d1 ref=8 -> d1 gfn=1 ro)',
      'copy(d1: self ref=8 off=0 -> self gmfn=2 off=0 len=4; self gmfn=8 off=0 -> self gmfn=3 off=0 len=4)',
      'copy(d1: self gmfn=8 off=0 -> self gmfn=3 off=0 len=4)',
    );
    expect(statuses(results[2])).toEqual([0, 0]);
    expect(state.contents.get(D1G0 + 3)?.key).toBe('0-4:5');
    expect(statuses(results[3])).toEqual([-9]); // alone, gmfn 8 is claimed and refused
  });

  it("upgrades the caller's read-only map pin for a write, and drops only what it added", () => {
    const { results, state } = run(
      'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      'map(d2: d1 ref=8 host|ro @0x5000)',
      'copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=1)',
    );
    expect(statuses(results[2])).toEqual([0]);
    const flags = state.domains[1]?.grantTable.entries.get(8)?.flags ?? 0;
    expect(flags & (GTF_reading | GTF_writing)).toBe(GTF_reading);
    expect(state.domains[1]?.grantTable.active.get(8)?.hostReadonly).toBe(1);
  });

  it('refuses a ref another domain holds pinned, and a failing element does not stop the batch', () => {
    const { results } = run(
      'grant_access(d1 ref=8 -> d0 gfn=0 rw)',
      'map(d0: d1 ref=8 host @0x5000)',
      'grant_access(d1 ref=9 -> d2 gfn=1 rw)',
      'copy(d2: d1 ref=8 off=0 -> self gmfn=0 off=0 len=1; d1 ref=9 off=0 -> self gmfn=0 off=0 len=1)',
    );
    expect(statuses(results[3])).toEqual([-1, 0]);
  });

  it('keeps GTF_reading and GTF_writing while a device mapping needs them (XSA-230)', () => {
    const { results, state } = run(
      'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      'map(d2: d1 ref=8 dev @0x0)',
      'copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=1; d1 ref=8 off=0 -> self gmfn=1 off=0 len=1)',
    );
    expect(statuses(results[2])).toEqual([0, 0]);
    const flags = state.domains[1]?.grantTable.entries.get(8)?.flags ?? 0;
    expect(flags & (GTF_reading | GTF_writing)).toBe(GTF_reading | GTF_writing);
    expect(state.domains[1]?.grantTable.active.get(8)?.deviceWritable).toBe(1);
  });

  it("copies within one page as Xen's x86 memcpy does: forward, 8 bytes, then bytes", () => {
    // what real Xen (Debian's 4.17.7+13) left: each unit reads what the ones before it wrote
    const { state } = run(
      'write_page(d2 gfn=0 off=0 len=8 byte=0x1)',
      'write_page(d2 gfn=0 off=8 len=8 byte=0x2)',
      'write_page(d2 gfn=0 off=16 len=8 byte=0x3)',
      'copy(d2: self gmfn=0 off=0 -> self gmfn=0 off=3 len=21)',
    );
    expect(state.contents.get(D2G0)?.key).toBe('0-14:1,14-24:2'); // memmove: 0-11:1,11-19:2,19-24:3
    const back = run(
      'write_page(d2 gfn=0 off=0 len=8 byte=0x1)',
      'write_page(d2 gfn=0 off=8 len=8 byte=0x2)',
      'write_page(d2 gfn=0 off=16 len=8 byte=0x3)',
      'copy(d2: self gmfn=0 off=3 -> self gmfn=0 off=0 len=21)',
    );
    expect(back.state.contents.get(D2G0)?.key).toBe('0-5:1,5-13:2,13-24:3'); // as memmove
  });
});
