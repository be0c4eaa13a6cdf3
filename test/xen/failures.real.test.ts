// What goes wrong with a real-Xen boot, and that no QEMU outlives grantcheck: dom0 crashing is
// one line ending with Xen's console, reported as soon as Xen says so; grantcheck killed by
// SIGINT, SIGTERM or SIGKILL in the middle of the boot takes QEMU with it.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/ops/op.ts';
import { SubjectError } from '../../src/subject/subject.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import { openXenSubject } from '../../src/subject/xen/xenSubject.ts';
import {
  alive,
  childrenNamed,
  grantcheckArgv,
  ROOT,
  sayWhetherXenRuns,
  STAND_IN_AGENT,
  waitFor,
  XEN_AVAILABLE,
} from './support.ts';

sayWhetherXenRuns('failures');

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('no error');
}

describe.skipIf(!XEN_AVAILABLE)('a real-Xen boot that fails', () => {
  it("reports dom0's crash in one line ending with Xen's console, without waiting out the boot", async () => {
    const started = Date.now();
    let error: unknown;
    try {
      openXenSubject({ agentSource: STAND_IN_AGENT, dom0Args: 'grantcheck.crash' }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SubjectError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      /^subject xen: the subject was killed by SIGKILL \(waiting for hello\)/,
    );
    expect(message).toMatch(
      /; Xen's console ends: \(XEN\) .*Dom0 crashed.*\(whole log: \S+console\.log\)$/,
    );
    // the watcher stops QEMU when Xen says dom0 is gone: well before the 300 s boot deadline
    expect(Date.now() - started).toBeLessThan(120_000);
    const log = /whole log: (\S+)\)$/.exec(message)?.[1] ?? '';
    const pid = Number(readFileSync(join(log, '..', 'qemu.pid'), 'utf8'));
    expect(await waitFor(() => !alive(pid), 10_000)).toBe(true);
    rmSync(dirname(log), { recursive: true, force: true }); // kept for the user, not for tests
  }, 300_000);

  it('the agent refuses a dom0 with a randomised address space (its windows are fixed)', () => {
    // sysctl.* boot parameters are applied after norandmaps, so this turns randomisation back on
    const error = errorOf(() =>
      openXenSubject({ dom0Args: 'sysctl.kernel.randomize_va_space=2' }).close(),
    );
    expect(error).toBeInstanceOf(SubjectError);
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(
      /^subject xen: hello is an error: .*; Xen's console ends: grantcheck agent: address-space randomisation is on \(randomize_va_space 2\): dom0 needs norandmaps \(whole log/,
    );
    const log = /whole log: (\S+)\)$/.exec(error.message)?.[1] ?? '';
    rmSync(dirname(log), { recursive: true, force: true });
  }, 300_000);
});

describe.skipIf(!XEN_AVAILABLE)('a real-Xen subject that fails after its boot', () => {
  it('reports its first failure, with the console, to every later call', async () => {
    const xen = openXenSubject({ agentSource: STAND_IN_AGENT });
    const pid = Number(readFileSync(xen.pidFile, 'utf8'));
    try {
      const s = xen.create(XEN_DOM0_CONFIG);
      // the stand-in serves query_size alone: anything else is an error message
      const op: Op = { kind: 'end_access', dom: 0, ref: 8 };
      const first = errorOf(() => s.apply(op));
      expect(first).toBeInstanceOf(SubjectError);
      expect(first.message, first.message).toMatch(
        /^subject xen: the answer to apply is an error: .*query_size only.*; Xen's console ends: /,
      );
      // the channel is closed now: a retry (fast-check shrinking) gets the first failure again,
      // not "the subject is closed"
      expect(errorOf(() => s.apply({ kind: 'query_size', caller: 0, dom: 0 }))).toBe(first);
      expect(errorOf(() => xen.create(XEN_DOM0_CONFIG))).toBe(first);
      // SIGKILL is sent at the failure; the process is gone a moment later
      expect(await waitFor(() => !alive(pid), 10_000), 'QEMU is stopped by the failure').toBe(true);
      expect(readFileSync(xen.consoleLog, 'latin1'), 'the log is kept').toContain('(XEN)');
    } finally {
      xen.close();
      rmSync(dirname(xen.consoleLog), { recursive: true, force: true }); // kept after a failure
    }
  }, 400_000);
});

describe.skipIf(!XEN_AVAILABLE)('grantcheck killed in the middle of a boot', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGKILL'] as const)(
    'by %s leaves no QEMU behind',
    async (signal) => {
      const cli = spawn(
        process.execPath,
        grantcheckArgv('run', '--subject', 'xen', '--runs', '1'),
        {
          cwd: ROOT,
          // the package's own agent (agents/xen-dom0/agent.c), as a user runs it
          env: { ...process.env, GRANTCHECK_XEN_AGENT: '' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      cli.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        cli.on('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      const pid = cli.pid ?? -1;
      let qemu: number[] = [];
      const started = await waitFor(() => {
        qemu = childrenNamed(pid, 'qemu-system');
        return qemu.length > 0;
      }, 120_000);
      expect(started, `no QEMU started; stderr: ${stderr}`).toBe(true);
      await new Promise((r) => setTimeout(r, 2000)); // Xen is booting: the hello is ~8 s away
      expect(qemu.every(alive), 'QEMU is running when the signal comes').toBe(true);
      // the run directory, which a killed grantcheck cannot remove: from QEMU's -pidfile
      const argv = readFileSync(`/proc/${qemu[0] ?? 0}/cmdline`, 'utf8').split('\0');
      const runDir = dirname(argv[argv.indexOf('-pidfile') + 1] ?? '');
      cli.kill(signal);
      const end = await exited;
      expect(end.signal ?? `exit ${end.code}`).toBe(signal);
      const gone = await waitFor(() => !qemu.some(alive), 10_000);
      for (const p of qemu.filter(alive)) process.kill(p, 'SIGKILL'); // this test's own leftovers
      expect(gone, `QEMU ${qemu.join(', ')} outlived grantcheck`).toBe(true);
      expect(runDir).toMatch(/grantcheck-xen-run-/);
      rmSync(runDir, { recursive: true, force: true });
    },
    300_000,
  );
});
