// Real Xen under QEMU, booted once for this file with the stand-in agent (query_size only, done
// for real through privcmd): the host side's boot path, the cache, real Xen's answers against
// the model, and QEMU gone after close. Skipped with one line on a machine without the packages.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSuite } from '../../src/harness/random.ts';
import { DOMID_SELF, GNTST_bad_domain } from '../../src/xen/abi.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import { buildBootFiles } from '../../src/subject/xen/initramfs.ts';
import { findXenHost } from '../../src/subject/xen/setup.ts';
import type { XenSubjectFactory } from '../../src/subject/xen/xenSubject.ts';
import { openXenSubject } from '../../src/subject/xen/xenSubject.ts';
import { buildSuite, SUITE_NAMES } from '../../properties/suites.ts';
import { testSeeds } from '../support/seeds.ts';
import {
  alive,
  readCpio,
  sayWhetherXenRuns,
  STAND_IN_AGENT,
  waitFor,
  XEN_AVAILABLE,
} from './support.ts';

sayWhetherXenRuns('stand-in agent');

describe.skipIf(!XEN_AVAILABLE)('real Xen with the stand-in agent', () => {
  let xen: XenSubjectFactory;
  beforeAll(() => {
    xen = openXenSubject({ agentSource: STAND_IN_AGENT });
  }, 400_000);
  afterAll(async () => {
    const pid = Number(readFileSync(xen.pidFile, 'utf8'));
    xen.close();
    expect(await waitFor(() => !alive(pid), 10_000), `QEMU ${pid} still running`).toBe(true);
    expect(existsSync(dirname(xen.consoleLog)), 'the run directory is removed').toBe(false);
  }, 60_000);

  it('is idle once the agent has said hello: Xen does not scrub memory then (bootscrub=0)', () => {
    // First in this file: right after the boot. With Xen's default (scrub free memory in the
    // idle loop) QEMU's vCPU thread kept ~65% of a core for ~3 s after the hello.
    const pid = Number(readFileSync(xen.pidFile, 'utf8'));
    const ticks = () =>
      readdirSync(`/proc/${pid}/task`)
        .map((t) => readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'))
        .map((stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' '))
        .reduce((sum, f) => sum + Number(f[11]) + Number(f[12]), 0); // utime + stime, 1/100 s
    const before = ticks();
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      // wait here: the agent is idle, and so is QEMU unless Xen has work of its own
    }
    const cores = (ticks() - before) / 100 / 1.5;
    expect(cores, `QEMU used ${Math.round(cores * 100)}% of a core`).toBeLessThan(0.2);
  });

  it("boots to the agent's hello", () => {
    expect(xen.name).toBe('xen-stand-in');
    expect(xen.opKinds).toEqual(['query_size']);
    expect(xen.bootMs).toBeGreaterThan(0);
    console.log(`[real Xen] boot to hello: ${(xen.bootMs / 1000).toFixed(1)} s`);
    expect(readFileSync(xen.consoleLog, 'latin1')).toContain('(XEN)');
  });

  it("answers query_size from Xen itself, with XEN_DOM0_CONFIG's grant-frame limit", () => {
    const s = xen.create(XEN_DOM0_CONFIG);
    const self = s.apply({ kind: 'query_size', caller: 0, dom: DOMID_SELF });
    expect(self).toEqual({
      kind: 'query_size',
      status: 0,
      nrFrames: 1,
      maxNrFrames: XEN_DOM0_CONFIG.maxGrantFrames,
    });
    expect(s.apply({ kind: 'query_size', caller: 0, dom: 7 })).toEqual({
      kind: 'query_size',
      status: GNTST_bad_domain,
    });
  });

  it('agrees with the model on every suite (query_size only)', () => {
    for (const name of SUITE_NAMES) {
      const suite = buildSuite(name, XEN_DOM0_CONFIG);
      if (!suite) throw new Error(name);
      for (const seed of testSeeds(`real Xen stand-in ${name}`)) {
        const outcome = runSuite(suite, { seed, runs: 3, maxOps: 30, subject: xen });
        expect(outcome.kind, `${name} seed ${seed}`).toBe('pass');
        expect(outcome.stats.ops).toBeGreaterThan(0);
      }
    }
  }, 300_000);

  it('boots from the cache: the same files, not rebuilt', () => {
    const host = findXenHost();
    const first = buildBootFiles(host, { agentSource: STAND_IN_AGENT });
    const before = statSync(first.initramfs).mtimeMs;
    const again = buildBootFiles(host, { agentSource: STAND_IN_AGENT });
    expect(again).toEqual(first);
    expect(statSync(again.initramfs).mtimeMs).toBe(before);
    // the initramfs: /init, the mount points, the modules and their order
    const members = readCpio(readFileSync(first.initramfs));
    const names = host.modules.map((m) => basename(m.path));
    expect(members.map((m) => m.name)).toEqual([
      'init',
      'dev',
      'proc',
      'sys',
      'modules',
      ...names.map((n) => `modules/${n}`),
      'modules/order',
    ]);
    expect(members[0]?.mode).toBe(0o100755);
    expect(members[0]?.data).toEqual(readFileSync(join(first.dir, 'init')));
    expect(members.at(-1)?.data.toString()).toBe(`${names.join('\n')}\n`);
  });
});
