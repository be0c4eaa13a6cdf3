// What goes wrong with a real-Xen boot, and that no QEMU outlives grantcheck: dom0 crashing is
// one line ending with Xen's console, reported as soon as Xen says so; grantcheck killed by
// SIGINT, SIGTERM or SIGKILL in the middle of the boot takes QEMU with it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SubjectError } from '../../src/subject/subject.ts';
import { openXenSubject } from '../../src/subject/xen/xenSubject.ts';
import {
  alive,
  childrenNamed,
  ROOT,
  sayWhetherXenRuns,
  STAND_IN_AGENT,
  waitFor,
  XEN_AVAILABLE,
} from './support.ts';

sayWhetherXenRuns('failures');

describe.skipIf(!XEN_AVAILABLE)('a real-Xen boot that fails', () => {
  it("reports dom0's crash in one line ending with Xen's console, without waiting out the boot", () => {
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
    expect(alive(pid)).toBe(false);
  }, 300_000);
});

describe.skipIf(!XEN_AVAILABLE)('grantcheck killed in the middle of a boot', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGKILL'] as const)(
    'by %s leaves no QEMU behind',
    async (signal) => {
      const cli = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(ROOT, 'bin', 'grantcheck.ts'),
          'run',
          '--subject',
          'xen',
          '--runs',
          '1',
        ],
        {
          cwd: ROOT,
          env: { ...process.env, GRANTCHECK_XEN_AGENT: STAND_IN_AGENT },
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
      cli.kill(signal);
      const end = await exited;
      expect(end.signal ?? `exit ${end.code}`).toBe(signal);
      const gone = await waitFor(() => !qemu.some(alive), 10_000);
      for (const p of qemu.filter(alive)) process.kill(p, 'SIGKILL'); // this test's own leftovers
      expect(gone, `QEMU ${qemu.join(', ')} outlived grantcheck`).toBe(true);
    },
    300_000,
  );
});
