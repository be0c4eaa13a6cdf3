// `--subject xen` on the command line: what cannot run on real Xen is refused in one line (exit
// 2) before anything is built or booted, so these run on any machine.
import { writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
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
