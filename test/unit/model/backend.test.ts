// The backend driver's exact results (issue 14 §3; docs/semantics.md §19), each case run on the
// model and on the impl in lockstep: results equal, abstract(impl) equal to the model's state and
// every invariant holding after every op. d0 is the control domain, d1 the frontend (any
// profile), d2 the backend.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GrantConfig } from '../../../src/config.ts';
import { makeConfig } from '../../../src/config.ts';
import type { GuestProfile } from '../../../src/configDefaults.ts';
import { abstract, GrantSystem } from '../../../src/impl/index.ts';
import { ImplView } from '../../../src/harness/implView.ts';
import { diffStates, initialState, statesEqual, step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import { BACKEND_OP_KINDS } from '../../../src/ops/op.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import { OpSchema } from '../../../src/ops/schema.ts';
import { formatOp, formatResult, parseOp } from '../../../src/ops/text.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { backendFocusArbitrary } from '../../../properties/generators/backends.ts';
import { OpSpace, opArbitrary } from '../../../properties/generators/ops.ts';
import { testSeeds } from '../../support/seeds.ts';

function op(text: string): Op {
  const parsed = parseOp(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.op;
}

/** Model and impl side by side; d1 runs `p`. */
class Twin {
  state: ModelState;
  readonly system: GrantSystem;
  constructor(p: GuestProfile = 'strict', extra: Partial<GrantConfig> = {}) {
    const config = makeConfig({ profiles: ['strict', p, 'strict'], ...extra });
    this.state = initialState(config);
    this.system = new GrantSystem(config);
  }

  /** Run the op on both; its result as text. */
  run(text: string): string {
    const o = op(text);
    const { state, result } = step(this.state, o);
    const impl: OpResult = this.system.apply(o);
    expect(impl, `impl result of ${text}`).toEqual(result);
    const abstracted = abstract(this.system);
    expect(diffStates(state, abstracted), `state after ${text}`).toEqual([]);
    expect(statesEqual(state, abstracted)).toBe(true);
    const view = new ImplView(this.system);
    for (const inv of INVARIANTS) {
      expect(inv.onModel(state), `${inv.name} on the model after ${text}`).toBeNull();
      expect(inv.onImpl(view), `${inv.name} on the impl after ${text}`).toBeNull();
    }
    this.state = state;
    return formatResult(result);
  }

  /** d2's grant mappings, by handle. */
  mappings(): number[] {
    return [...(this.state.domains[2]?.maptrack.mappings.keys() ?? [])];
  }

  requests(): number[] {
    return [...(this.state.domains[2]?.backend?.requests.keys() ?? [])];
  }
}

describe('backend_map (xen_blkbk_map + fail_flush)', () => {
  it('maps every segment of a request in one batch, at its pages, and keeps the handles', () => {
    const t = new Twin();
    t.run('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    t.run('grant_access(d1 ref=9 -> d2 gfn=1 rw)');
    expect(t.run('backend_map(d2 req=1 <- d1 refs=9,8)')).toBe('ok [okay, okay]');
    expect(t.state.domains[2]?.backend?.requests.get(1)).toEqual({
      frontend: 1,
      readonly: false,
      segments: [
        { ref: 9, handle: 0 },
        { ref: 8, handle: 1 },
      ],
    });
    // request 1's segments sit at linear pages 5 and 6 (backendSegmentPage)
    expect([...(t.state.domains[2]?.hostMappings.keys() ?? [])]).toEqual([5, 6]);
  });

  it('a failed element anywhere in the batch: the request fails and none of it stays mapped', () => {
    const t = new Twin();
    t.run('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    t.run('grant_access(d1 ref=10 -> d2 gfn=1 rw)');
    expect(t.run('backend_map(d2 req=0 <- d1 refs=8,9,10)')).toBe(
      'failed [okay, general_error, okay]',
    );
    expect(t.mappings()).toEqual([]);
    expect(t.requests()).toEqual([]);
    // the frontend's refs are free of pins: it can end them at once
    expect(t.run('end_access(d1 ref=8)')).toBe('ended');
    expect(t.run('end_access(d1 ref=10)')).toBe('ended');
  });

  it('a read-only grant refuses a writable request; a read-only request maps it', () => {
    const t = new Twin();
    t.run('grant_access(d1 ref=8 -> d2 gfn=0 ro)');
    expect(t.run('backend_map(d2 req=0 <- d1 refs=8)')).toBe('failed [general_error]');
    expect(t.run('backend_map(d2 req=0 <- d1 refs=8 ro)')).toBe('ok [okay]');
  });

  it('never reuses a live request slot (contract); a domain that never mapped has no driver', () => {
    const t = new Twin();
    t.run('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    expect(t.run('backend_io(d2 req=0 read)')).toBe('contract');
    expect(t.run('backend_unmap(d2 req=0)')).toBe('contract');
    expect(t.state.domains[2]?.backend).toBeUndefined();
    t.run('backend_map(d2 req=0 <- d1 refs=8)');
    expect(t.run('backend_map(d2 req=0 <- d1 refs=8)')).toBe('contract');
    expect(t.mappings()).toEqual([0]);
  });

  it('a batch that fails whole still makes the domain a backend (its key shows the driver)', () => {
    const t = new Twin();
    expect(t.run('backend_map(d2 req=2 <- d1 refs=8)')).toBe('failed [general_error]');
    expect(t.state.domains[2]?.backend).toEqual({ requests: new Map() });
  });
});

describe('backend_io and backend_unmap', () => {
  it('writes and reads through every mapping; the frontend sees the bytes; unmap ends it', () => {
    const t = new Twin();
    t.run('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    t.run('grant_access(d1 ref=9 -> d2 gfn=1 rw)');
    t.run('backend_map(d2 req=0 <- d1 refs=8,9)');
    const before = t.run('backend_io(d2 req=0 read)');
    expect(t.run('backend_io(d2 req=0 write)')).toBe('ok');
    const after = t.run('backend_io(d2 req=0 read)');
    expect(after).not.toBe(before);
    expect(t.run('read_page(d1 gfn=0 off=0 len=16)')).toBe(
      t.run('read_page(d1 gfn=1 off=0 len=16)'),
    );
    // the frontend ending its grant while the backend maps it: in use (GTF_reading|writing)
    expect(t.run('end_access(d1 ref=8)')).toBe('in_use');
    expect(t.run('backend_unmap(d2 req=0)')).toBe('ok [okay, okay]');
    expect(t.mappings()).toEqual([]);
    expect(t.run('backend_unmap(d2 req=0)')).toBe('contract');
    expect(t.run('end_access(d1 ref=8)')).toBe('ended');
  });

  it('does not write through a read-only request (contract)', () => {
    const t = new Twin();
    t.run('grant_access(d1 ref=8 -> d2 gfn=0 ro)');
    t.run('backend_map(d2 req=0 <- d1 refs=8 ro)');
    expect(t.run('backend_io(d2 req=0 write)')).toBe('contract');
    expect(t.run('backend_io(d2 req=0 read)')).toMatch(/^ok \[#/);
  });
});

describe('backends and domain death (§17)', () => {
  it('a frontend killed while mapped stays a zombie until the backend unmaps', () => {
    const t = new Twin();
    t.run('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    t.run('backend_map(d2 req=0 <- d1 refs=8)');
    expect(t.run('destroy_domain(d0: dom=d1)')).toBe('0');
    expect(t.state.domains[1]?.death).toBe('zombie');
    expect(t.run('backend_unmap(d2 req=0)')).toBe('ok [okay]');
    expect(t.state.domains[1]?.death).toBe('gone');
  });

  it("a killed backend's mappings go with it; its driver never runs again", () => {
    const t = new Twin();
    t.run('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    t.run('backend_map(d2 req=0 <- d1 refs=8)');
    t.run('destroy_domain(d0: dom=d2)');
    expect(t.run('backend_unmap(d2 req=0)')).toBe('not running');
    expect(t.run('end_access(d1 ref=8)')).toBe('ended');
  });
});

describe.each(['linux', 'mini-os', 'mirage'] as const)('a %s frontend', (p) => {
  it('allocates, grants, is mapped, ends in use, then ends and frees after the unmap', () => {
    const t = new Twin(p);
    const ref = p === 'mini-os' ? 11 : 8;
    expect(t.run('alloc_refs(d1 count=1)')).toBe(`ok [${ref}]`);
    t.run(`grant_access(d1 ref=${ref} -> d2 gfn=0 rw)`);
    expect(t.run(`backend_map(d2 req=0 <- d1 refs=${ref})`)).toBe('ok [okay]');
    expect(t.run(`end_access(d1 ref=${ref})`)).toBe('in_use');
    t.run('backend_unmap(d2 req=0)');
    expect(t.run(`end_access(d1 ref=${ref})`)).toBe('ended');
  });
});

describe('backend op text and schema', () => {
  it('formats as documented and parses back', () => {
    const map: Op = {
      kind: 'backend_map',
      dom: 2,
      request: 1,
      frontend: 1,
      refs: [8, 9],
      readonly: true,
    };
    expect(formatOp(map)).toBe('backend_map(d2 req=1 <- d1 refs=8,9 ro)');
    expect(formatOp({ kind: 'backend_io', dom: 2, request: 0, write: true })).toBe(
      'backend_io(d2 req=0 write)',
    );
    expect(formatOp({ kind: 'backend_unmap', dom: 2, request: 2 })).toBe('backend_unmap(d2 req=2)');
    expect(parseOp('backend_map(d2 req=1 <- d1 refs=8,9 ro)')).toEqual({ ok: true, op: map });
    expect(parseOp('backend_io(d2 req=0 sideways)').ok).toBe(false);
  });

  it('round-trips every generated backend op through text and the schema', () => {
    const config = makeConfig({});
    for (const seed of testSeeds('backend op text')) {
      fc.assert(
        fc.property(
          backendFocusArbitrary(config).chain((focus) =>
            fc.oneof(...BACKEND_OP_KINDS.map((k) => opArbitrary(new OpSpace(config, focus), k))),
          ),
          (o) => {
            expect(parseOp(formatOp(o))).toEqual({ ok: true, op: o });
            expect(OpSchema.safeParse(o).success).toBe(true);
          },
        ),
        { seed, numRuns: 200 },
      );
    }
  });

  it('the schema refuses a request id or a segment count outside the driver', () => {
    const base = { kind: 'backend_map', dom: 2, frontend: 1, readonly: false };
    expect(OpSchema.safeParse({ ...base, request: 3, refs: [8] }).success).toBe(false);
    expect(OpSchema.safeParse({ ...base, request: 0, refs: [] }).success).toBe(false);
    expect(OpSchema.safeParse({ ...base, request: 0, refs: [8, 9, 10, 11, 12] }).success).toBe(
      false,
    );
  });
});
