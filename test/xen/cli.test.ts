// `--subject xen` on the command line: what cannot run on real Xen is refused in one line (exit
// 2) before anything is built or booted, so these run on any machine.
import { writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps } from '../../src/harness/run.ts';
import { parseOp } from '../../src/ops/text.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import { PACKAGED_AGENT_OP_KINDS } from '../../src/subject/xen/initramfs.ts';
import { buildTrace } from '../../src/trace/format.ts';
import { writeTrace } from '../../src/trace/io.ts';
import { TOOL } from '../../src/version.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { cli } from '../support/cli.ts';
import { ROOT } from './support.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grantcheck-xen-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A committed trace (three domains) with another config. */
function traceWith(config: object): string {
  const trace = JSON.parse(
    readFileSync(join(ROOT, 'test/fixtures/traces/pass-grant-map-unmap-end.json'), 'utf8'),
  ) as Record<string, unknown>;
  const path = join(dir, 'three.json');
  writeFileSync(path, JSON.stringify({ ...trace, config }));
  return path;
}

describe('--subject xen refuses, before booting,', () => {
  it('a run with more than one domain', async () => {
    const r = await cli('run', '--subject', 'xen', '--domains', '2', '--runs', '1');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'grantcheck: --domains: 2 domains, but real Xen here (--subject xen) has dom0 alone: one domain\n',
    );
  });

  it('a suite that needs more domains than dom0 alone', async () => {
    const r = await cli('run', '--subject', 'xen', '--suite', 'death', '--runs', '1');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'grantcheck: --suite death needs 2 domains or more (the control domain and a domain for it to destroy): real Xen here (--subject xen) has dom0 alone\n',
    );
  });

  it('a replay of a trace whose config has more domains, or is not PV', async () => {
    const three = await cli(
      'replay',
      traceWith({ ...XEN_DOM0_CONFIG, domains: 3 }),
      '--subject',
      'xen',
    );
    expect(three.code).toBe(2);
    expect(three.err).toMatch(
      /^grantcheck: .*: config: 3 domains, but real Xen here .* one domain\n$/,
    );
    // a one-domain trace written by exec: the default config's, not PV
    const path = join(dir, 'one.json');
    expect(
      (await cli('exec', 'query_size(d0: dom=self)', '--domains', '1', '--out', path)).code,
    ).toBe(0);
    const hvm = await cli('replay', path, '--subject', 'xen');
    expect(hvm.code).toBe(2);
    expect(hvm.err).toMatch(
      /^grantcheck: .*: config: not PV \(config\.pv\), but dom0 under real Xen is a PV guest\n$/,
    );
  });

  it('an exec with more than one domain, or with a fault', async () => {
    const two = await cli('exec', '--subject', 'xen', '--domains', '2', 'query_size(d0: dom=self)');
    expect(two.code).toBe(2);
    expect(two.err).toBe(
      'grantcheck: --domains: 2 domains, but real Xen here (--subject xen) has dom0 alone: one domain\n',
    );
    // with --vcpus too, the flag named is the one whose value real Xen cannot run
    const both = ['--domains', '2', '--vcpus', '2'];
    const domains = await cli('exec', '--subject', 'xen', ...both, 'query_size(d0: dom=self)');
    expect(domains.err).toMatch(/^grantcheck: --domains: 2 domains, /);
    const vcpus = await cli('run', '--subject', 'xen', '--vcpus', '2', '--runs', '1');
    expect(vcpus.code).toBe(2);
    expect(vcpus.err).toBe(
      'grantcheck: --vcpus: 2 vCPUs (config.vcpus), but the agent maps from one\n',
    );
    // dom0 alone by default: an op of domain 1 names a domain that does not exist
    const d1 = await cli('exec', '--subject', 'xen', 'query_size(d1: dom=self)');
    expect(d1.code).toBe(2);
    expect(d1.err).toBe(
      'grantcheck: op 1: acting domain d1 does not exist (the config has 1 domain)\n',
    );
    const fault = await cli(
      'exec',
      '--subject',
      'xen',
      '--fault',
      'maptrack-lifo',
      'query_size(d0: dom=self)',
    );
    expect(fault.code).toBe(2);
    expect(fault.err).toMatch(/--fault and --subject exclude each other/);
  });

  it("an exec or replay holding an op the package's agent does not implement", async () => {
    const kinds = PACKAGED_AGENT_OP_KINDS.join(', ');
    const lacking = `the subject xen has no op kind 'destroy_domain' (it has ${kinds})`;
    const ops = ['query_size(d0: dom=self)', 'destroy_domain(d0: dom=d1)'];
    const exec = await cli('exec', '--subject', 'xen', ...ops);
    expect(exec.code).toBe(2);
    expect(exec.err).toBe(`grantcheck: op 2: ${lacking}\n`);
    // the same ops as a dom0 trace, run on the built-in impl
    const parsed = ops.map((text) => {
      const op = parseOp(text);
      if (!op.ok) throw new Error(op.error);
      return op.op;
    });
    const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };
    const report = runOps(XEN_DOM0_CONFIG, parsed, checks);
    const origin = { engine: 'manual' as const };
    const path = join(dir, 'destroy.json');
    writeTrace(
      path,
      buildTrace({ tool: TOOL, config: XEN_DOM0_CONFIG, fault: null, origin, report }),
    );
    const replay = await cli('replay', path, '--subject', 'xen');
    expect(replay.code).toBe(2);
    expect(replay.err).toBe(`grantcheck: ${path}: step 2: ${lacking}\n`);
  });

  it("explore, whose bounded configs are not real Xen's", async () => {
    const r = await cli('explore', '--model', 'xen', '--subject', 'xen');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      "grantcheck: --subject xen: explore's bounded configs differ from real Xen's limits; use run or replay\n",
    );
  });

  it('a fault with it', async () => {
    const r = await cli('run', '--subject', 'xen', '--fault', 'xsa-218-unmap-double-free');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--fault and --subject exclude each other/);
  });
});
