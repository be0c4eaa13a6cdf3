// The model configuration of `--subject xen` is a valid GrantConfig (Xen's default maptrack
// limit, 1024 frames, within the schema) and a run over it starts: the suites build, and the
// generators' bursts stay within the wire's batch limit; the packaged agent's op kinds, known
// before a boot, are the ones its hello lists.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { GrantConfigSchema } from '../../src/config.ts';
import { MAX_BATCH } from '../../src/ops/op.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import { knownXenOpKinds, PACKAGED_AGENT_OP_KINDS } from '../../src/subject/xen/initramfs.ts';
import { buildSuite, SUITE_NAMES } from '../../properties/suites.ts';
import { runSuite } from '../../src/harness/random.ts';
import { testSeeds } from '../support/seeds.ts';

it("is accepted by the config schema, Xen's defaults included", () => {
  expect(GrantConfigSchema.parse(XEN_DOM0_CONFIG)).toEqual(XEN_DOM0_CONFIG);
  expect(GrantConfigSchema.safeParse({ ...XEN_DOM0_CONFIG, maxMaptrackFrames: 1025 }).success).toBe(
    false,
  );
});

it('runs the suites on the built-in impl, with no batch longer than the wire carries', () => {
  for (const name of SUITE_NAMES) {
    const suite = buildSuite(name, XEN_DOM0_CONFIG);
    expect(suite, name).toBeDefined();
    if (!suite) continue;
    for (const seed of testSeeds(`xen config ${name}`)) {
      const outcome = runSuite(suite, { seed, runs: 20, maxOps: 50 });
      expect(outcome.kind, `${name} seed ${seed}`).toBe('pass');
      const plans = fc.sample(suite.plan, { seed, numRuns: 5 });
      for (const plan of plans) {
        for (const kind of ['map_grant_ref', 'unmap_grant_ref'] as const) {
          for (const op of fc.sample(plan.arbitrary(kind), { seed, numRuns: 200 })) {
            if ('batch' in op) expect(op.batch.length).toBeLessThanOrEqual(MAX_BATCH);
          }
        }
      }
    }
  }
}, 120_000);

afterEach(() => {
  vi.unstubAllEnvs();
});

it("knows the packaged agent's op kinds before a boot: the kinds its hello lists", () => {
  const agent = readFileSync(
    join(import.meta.dirname, '..', '..', 'agents', 'xen-dom0', 'agent.c'),
    'utf8',
  );
  // the hello's opKinds array, written as C string pieces: \"grant_access\",\"end_access\",…
  const hello = /\\"opKinds\\":\[([^\]]*)\]/.exec(agent.replace(/"\s*"/g, ''));
  expect(hello, 'the hello in agent.c').not.toBeNull();
  const listed = [...(hello?.[1] ?? '').matchAll(/\\"(\w+)\\"/g)].map((m) => m[1]);
  expect(listed).toEqual(PACKAGED_AGENT_OP_KINDS);
  vi.stubEnv('GRANTCHECK_XEN_AGENT', '');
  expect(knownXenOpKinds()).toEqual(PACKAGED_AGENT_OP_KINDS);
  // a developer's agent says what it implements only in its own hello
  vi.stubEnv('GRANTCHECK_XEN_AGENT', '/tmp/my-agent.c');
  expect(knownXenOpKinds()).toBeUndefined();
});
