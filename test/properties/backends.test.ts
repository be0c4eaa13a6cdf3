// The backends suite (issue 14 §3) against a frontend of every guest profile: whatever the
// frontend and the backend do, no invariant breaks and no mapping leaks. Seed 1 runs the default
// budget (so every expected outcome, the half-failed batch included, must be reached); the other
// pinned seeds and one fresh, printed seed run 100 runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actingDomain, BACKEND_OP_KINDS, OP_KINDS } from '../../src/ops/op.ts';
import { IMPL_SUBJECT } from '../../src/subject/impl.ts';
import { HelloSchema } from '../../src/subject/wire/protocol.ts';
import { DEFAULT_CONFIG, GUEST_PROFILES } from '../../src/configDefaults.ts';
import { faultSubject, findFault, withProfile } from '../../src/faults/index.ts';
import { runOps } from '../../src/harness/run.ts';
import { buildTrace } from '../../src/trace/format.ts';
import { parseTrace, serialiseTrace } from '../../src/trace/io.ts';
import { serialiseItf, traceToItf } from '../../src/trace/itf/index.ts';
import { runSuite } from '../../src/harness/random.ts';
import { formatOp, parseOp } from '../../src/ops/text.ts';
import { buildSuite } from '../../properties/suites.ts';
import { testSeeds } from '../support/seeds.ts';
import { explain } from '../support/suites.ts';

describe.each(GUEST_PROFILES.map((p) => [p] as const))('backends suite, %s frontends', (p) => {
  const suite = buildSuite('backends', withProfile(DEFAULT_CONFIG, p));
  if (!suite) throw new Error('no backends suite');
  const [full = 1, ...others] = testSeeds(`backends ${p}`);

  it(`passes with full coverage on its default budget (seed ${full})`, () => {
    const outcome = runSuite(suite, { seed: full });
    expect(explain(outcome)).toBe('pass');
    expect(outcome.stats.coverage.get('backend_map+partial') ?? 0).toBeGreaterThan(0);
  });

  for (const seed of others) {
    it(`passes (seed ${seed}, 100 runs)`, () => {
      expect(explain(runSuite(suite, { seed, runs: 100 }))).toBe('pass');
    });
  }

  it("draws backend ops only for the run's backend domain, and no map or unmap of its own", () => {
    const plans = fc.sample(suite.plan, { seed: 7, numRuns: 40 });
    for (const plan of plans) {
      const ops = plan.kinds.flatMap((k) => fc.sample(plan.arbitrary(k), { seed: 7, numRuns: 20 }));
      const backends = new Set(
        ops.flatMap((o) =>
          (BACKEND_OP_KINDS as readonly string[]).includes(o.kind) ? [actingDomain(o)] : [],
        ),
      );
      expect(backends.size).toBe(1);
      const own = ops.filter(
        (o) =>
          (o.kind === 'map_grant_ref' ||
            o.kind === 'unmap_grant_ref' ||
            o.kind === 'unmap_and_replace') &&
          backends.has(o.caller),
      );
      expect(own.map(formatOp)).toEqual([]);
    }
  });
});

// A subject without the backend ops (real Xen's agent, any wire subject: the hello's opKinds
// name only OP_KINDS, docs/subject-protocol.md) is never sent one, and is held to no backend
// outcome: the suite runs what it has.
describe('backends suite against a subject without backend ops', () => {
  it('generates none of them and demands none of their outcomes', () => {
    const suite = buildSuite('backends', DEFAULT_CONFIG);
    if (!suite) throw new Error('no backends suite');
    const subject = { ...IMPL_SUBJECT, name: 'impl (OP_KINDS only)', opKinds: OP_KINDS };
    const outcome = runSuite(suite, { seed: 1, runs: 100, subject });
    expect(outcome.kind).toBe('pass');
    const kinds = [...outcome.stats.coverage.keys()].map((o) => o.split(/[:+]/)[0]);
    expect(kinds.filter((k) => k?.startsWith('backend'))).toEqual([]);
  });

  it('cannot even be declared by a wire subject', () => {
    const hello = {
      type: 'hello',
      protocol: 1,
      name: 'x',
      opKinds: ['grant_access', 'backend_map'],
      observes: [],
      snapshots: false,
    };
    expect(HelloSchema.safeParse(hello).success).toBe(false);
    expect(HelloSchema.safeParse({ ...hello, opKinds: ['grant_access'] }).success).toBe(true);
  });
});

// The backend driver's state in a trace: the trace JSON and ITF (backendDriver) carry it, and
// read back, a run's trace with live and failed requests is the same value (and replays).
describe('a backends run as a trace', () => {
  it('round-trips through the trace format and ITF, the driver state included', () => {
    const fault = findFault('xsa-361-backend-batch-half-mapped');
    const suite = buildSuite('backends', DEFAULT_CONFIG);
    if (!fault || !suite) throw new Error('no fault or suite');
    const ops = [
      'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      'grant_access(d1 ref=9 -> d2 gfn=1 rw)',
      'backend_map(d2 req=0 <- d1 refs=8,9)',
      'backend_map(d2 req=1 <- d1 refs=10,8)',
      'backend_io(d2 req=0 write)',
      'backend_io(d2 req=0 read)',
    ].map((text) => {
      const parsed = parseOp(text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.op;
    });
    for (const subject of [undefined, faultSubject(fault)]) {
      const report = runOps(DEFAULT_CONFIG, ops, {
        invariants: suite.invariants,
        properties: suite.properties,
        ...(subject === undefined ? {} : { subject }),
      });
      const trace = buildTrace({
        tool: 'grantcheck test',
        config: DEFAULT_CONFIG,
        fault: subject === undefined ? null : fault.id,
        origin: { engine: 'manual' },
        report,
      });
      const last = trace.steps.at(-1)?.state;
      if (subject === undefined) expect(JSON.stringify(last)).toContain('"backend"');
      const fromJson = parseTrace(JSON.parse(serialiseTrace(trace)));
      const fromItf = parseTrace(JSON.parse(serialiseItf(traceToItf(trace))));
      if (!fromJson.ok || !fromItf.ok) throw new Error('refused');
      expect(fromJson.trace).toEqual(trace);
      expect(fromItf.trace).toEqual(trace);
    }
  });
});
