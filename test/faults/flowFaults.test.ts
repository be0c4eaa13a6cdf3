// The information-flow invariant (flows-permitted) against the two copy faults that leak bytes:
// each fault's leak, from (or into) a frame of a domain that granted the caller another frame,
// leaves the faulted impl in a state where flows-permitted — and no other invariant of the
// catalogue — names the frame; the correct impl and the model refuse the element and keep the
// invariant. Only a per-frame check sees these: the domains did share a frame. The harness
// reports each such step as a result mismatch and, at the same step, flows-permitted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { op } from '../support/ops.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { makeConfig } from '../../src/config.ts';
import { copyDomainCacheSelfRule } from '../../src/faults/copyDomainCacheSelfRule.ts';
import { copySourcePastPageEnd } from '../../src/faults/copySourcePastPageEnd.ts';
import type { Fault } from '../../src/faults/fault.ts';
import { DEFAULT_FAULTS_SEED, faultsCommand } from '../../src/cli/commands/faults.ts';
import { faultSubject } from '../../src/faults/fault.ts';
import { attemptSuite, caughtBy, passesUnfaulted } from '../../src/faults/kill.ts';
import { ImplView } from '../../src/harness/implView.ts';
import { runOps } from '../../src/harness/run.ts';
import { formatOp } from '../../src/ops/text.ts';
import { violationLines } from '../../src/report/violation.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { buildSuite } from '../../properties/suites.ts';
import { GrantSystem } from '../../src/impl/index.ts';
import { flowLabel, permitBit, withStore } from '../../src/model/flow.ts';
import { initialState, step } from '../../src/model/index.ts';
import type { Op } from '../../src/ops/op.ts';
import type { OpResult } from '../../src/ops/result.ts';

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

const LEAKS: readonly Leak[] = [
  {
    // d0 grants d1 its gfn 0 (ref 8); a first element copies through that grant and caches the
    // pair (d0, DOMID_SELF); the second names d0's gfn 1 (mfn 0x101) under d0's numeric id.
    fault: copyDomainCacheSelfRule,
    what: 'from a frame not granted',
    ops: [
      { kind: 'write_page', dom: 0, gfn: 1, off: 0, len: 8, byte: 0x77 },
      { kind: 'grant_access', dom: 0, ref: 8, grantee: 1, gfn: 0, readonly: true },
      op(
        'copy(d1: d0 ref=8 off=0 -> self gmfn=0 off=0 len=8; d0 gmfn=1 off=0 -> self gmfn=0 off=0 len=8)',
      ),
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
      op(
        'copy(d1: self gmfn=0 off=0 -> d0 ref=8 off=0 len=8; self gmfn=0 off=0 -> d0 gmfn=1 off=0 len=8)',
      ),
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
      op('copy(d2: d0 ref=8 off=4095 -> self gmfn=0 off=0 len=2)'),
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
      let last: OpResult | undefined;
      for (const op of leak.ops) ({ state, result: last } = step(state, op));
      expect(copyStatuses(last)).toEqual(leak.correctCopy);
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

describe('the harness names flows-permitted beside the result mismatch', () => {
  const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };

  it('a leaking step is a result mismatch that also lists flows-permitted (impl)', () => {
    for (const leak of LEAKS) {
      const report = runOps(CONFIG, leak.ops, { ...checks, subject: faultSubject(leak.fault) });
      expect(report.failure, leak.what).toEqual({
        step: 2,
        violation: {
          check: 'result-mismatch',
          alsoFailed: [
            {
              check: 'invariant',
              name: 'flows-permitted',
              side: 'impl',
              message: expect.stringMatching(leak.names),
            },
          ],
        },
      });
      const failure = report.failure;
      if (failure === null) continue;
      const lines = violationLines({ report, ops: leak.ops, violation: failure.violation });
      expect(lines.slice(0, 2)).toEqual([
        'VIOLATION: result mismatch at step 3 of 3',
        expect.stringMatching(
          /^also failed at that step: invariant flows-permitted \(impl\): mfn 0x[0-9a-f]+ of d\d /,
        ),
      ]);
    }
  });

  it('a mismatch that moves nothing lists nothing else', () => {
    // the leak's copy with len 0: the faulted impl answers okay, and no byte crosses
    const ops = LEAKS[0]?.ops.map((op) =>
      op.kind === 'copy' ? { ...op, batch: op.batch.map((e) => ({ ...e, len: 0 })) } : op,
    );
    const report = runOps(CONFIG, ops ?? [], {
      ...checks,
      subject: faultSubject(copyDomainCacheSelfRule),
    });
    expect(report.failure).toEqual({ step: 2, violation: { check: 'result-mismatch' } });
  });

  // What `grantcheck faults` reports per suite (its --json attempts): the protocol suite's
  // counterexample, shrunk, still names the leak. The past-page-end leak reads a page a failed
  // transfer freed; the cache leak reads d2's gmfn 0 on the element whose pair was cached.
  const protocol = buildSuite('protocol');
  const cases = [
    {
      fault: copySourcePastPageEnd,
      seed: DEFAULT_FAULTS_SEED,
      shrunk: [
        'transfer(d0: gfn=2 -> d0 ref=10)',
        'grant_access(d0 ref=10 -> d0 gfn=1 rw)',
        'copy(d0: d0 ref=10 off=4096 -> self gmfn=0 off=0 len=1; d0 ref=10 off=4096 -> self gmfn=0 off=0 len=1)',
      ],
    },
    {
      fault: copyDomainCacheSelfRule,
      seed: 23,
      shrunk: [
        'copy(d0: d2 gmfn=0 off=0 -> self gmfn=0 off=0 len=1; d2 gmfn=0 off=0 -> self gmfn=0 off=0 len=1)',
      ],
    },
  ];
  for (const c of cases) {
    it(`${c.fault.id}: the protocol suite, seed ${c.seed}, is caught by both`, () => {
      if (!protocol) throw new Error('no protocol suite');
      const attempt = attemptSuite(protocol, c.fault, { seed: c.seed });
      if (attempt.kind !== 'caught') throw new Error(`not caught: ${attempt.kind}`);
      expect(caughtBy(attempt)).toBe('result mismatch + invariant flows-permitted (impl)');
      expect(attempt.shrunk.map(formatOp)).toEqual(c.shrunk);
      expect(passesUnfaulted(attempt)).toBe(true);
    });
  }

  it('grantcheck faults reports the past-page-end leak by the catch that names the broken state', async () => {
    // Both suites catch it by the mismatch; which of their shrunk counterexamples still reads a
    // frame the caller does not own depends on the stream (a copy from offset 4097 of its own gfn
    // reads on into the next frame, the caller's or not). The report prefers the catch that names
    // flows-permitted. Before the impl read ranges starting past the page, that copy threw.
    const dir = mkdtempSync(join(tmpdir(), 'grantcheck-flow-faults-'));
    try {
      let out = '';
      const io = { out: (t: string) => (out += t), err: () => undefined, interactive: false };
      const outcome = await faultsCommand(
        { only: copySourcePastPageEnd.id, json: true, exploreTime: '0', out: dir },
        io,
      );
      expect(outcome.kind).toBe('ok');
      const report = JSON.parse(out) as {
        faults: {
          caughtBy: string;
          suite: string;
          shrunk: number;
          attempts: { suite: string; caughtBy: string; shrunk: number }[];
        }[];
      };
      const fault = report.faults[0];
      const leak = 'result mismatch + invariant flows-permitted (impl)';
      expect(fault?.caughtBy).toBe(leak);
      // conformance, protocol and death: each catches it by the mismatch
      expect(fault?.attempts.map((a) => a.caughtBy.startsWith('result mismatch'))).toEqual([
        true,
        true,
        true,
      ]);
      const reported = fault?.attempts.find((a) => a.suite === fault.suite);
      expect(reported).toMatchObject({ caughtBy: leak, shrunk: fault?.shrunk });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
