// QEMU's command line for `--subject xen` (src/subject/xen/qemu.ts): every word survives `sh`,
// and the flags that make the boot work (SMAP off, the virtio-serial channel, the exit device,
// dom0's memory) are the ones proven on this kind of machine.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BootFiles } from '../../src/subject/xen/initramfs.ts';
import {
  qemuArgv,
  qemuCommand,
  shellCommand,
  shellQuote,
  XEN_CMDLINE,
} from '../../src/subject/xen/qemu.ts';
import type { XenHost } from '../../src/subject/xen/setup.ts';
import { testSeeds } from '../support/seeds.ts';

const HOST: XenHost = {
  qemu: '/usr/bin/qemu-system-x86_64',
  gcc: '/usr/bin/gcc',
  setpriv: '/usr/bin/setpriv',
  xenImage: '/boot/xen-4.17-amd64.gz',
  kernelVersion: '6.1.0-57-amd64',
  vmlinuz: '/boot/vmlinuz-6.1.0-57-amd64',
  modules: [],
};
const BOOT: BootFiles = {
  dir: '/tmp/c/abc',
  xen: '/tmp/c/abc/xen',
  initramfs: '/tmp/c/abc/initramfs.cpio',
  vmlinuz: HOST.vmlinuz,
};
const FILES = { consoleLog: '/tmp/r/console.log', pidFile: '/tmp/r/qemu.pid' };

/** The words `sh` makes of a command line. */
function words(command: string): string[] {
  const run = spawnSync('/bin/sh', ['-c', `for w in ${command}; do printf '%s\\0' "$w"; done`], {
    encoding: 'utf8',
  });
  // `for w in …` word-splits unquoted expansions only; the command's own words are literal
  expect(run.status).toBe(0);
  return run.stdout.split('\0').slice(0, -1);
}

/** The argv `sh -c 'exec …'` passes to the program. */
function argvOf(command: string): string[] {
  // a first word of its own, so that an empty argv still prints something to split
  const run = spawnSync('/bin/sh', ['-c', `exec printf '%s\\0' first ${command}`], {
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  return run.stdout.split('\0').slice(1, -1);
}

describe('qemuArgv', () => {
  it('boots Xen with SMAP off, dom0 and its initramfs as modules, and the channel on stdio', () => {
    const argv = qemuArgv(HOST, BOOT, FILES);
    const after = (flag: string) => argv[argv.indexOf(flag) + 1];
    expect(argv[0]).toBe(HOST.qemu);
    expect(after('-cpu')).toBe('max,-smap');
    expect(after('-kernel')).toBe(BOOT.xen);
    expect(after('-append')).toBe(XEN_CMDLINE);
    expect(XEN_CMDLINE).toContain('smap=0');
    expect(XEN_CMDLINE).toContain('dom0_mem=512M,max:520M');
    expect(after('-initrd')).toBe(
      `${HOST.vmlinuz} console=hvc0 quiet norandmaps,${BOOT.initramfs}`,
    );
    expect(after('-serial')).toBe(`file:${FILES.consoleLog}`);
    expect(after('-pidfile')).toBe(FILES.pidFile);
    expect(after('-chardev')).toBe('stdio,id=gc,signal=off');
    expect(argv).toContain('virtserialport,bus=vs.0,chardev=gc,name=grantcheck');
    expect(argv).toContain('-no-reboot');
    expect(qemuArgv(HOST, BOOT, FILES, 'grantcheck.crash')[argv.indexOf('-initrd') + 1]).toBe(
      `${HOST.vmlinuz} console=hvc0 quiet norandmaps grantcheck.crash,${BOOT.initramfs}`,
    );
  });

  it('refuses paths QEMU would read differently (a comma or a space)', () => {
    expect(() => qemuArgv(HOST, { ...BOOT, initramfs: '/tmp/a,b/i.cpio' }, FILES)).toThrow(
      /comma or space/,
    );
    expect(() => qemuArgv(HOST, BOOT, { ...FILES, consoleLog: '/tmp/my dir/c.log' })).toThrow(
      /comma or space/,
    );
  });

  it('runs QEMU under setpriv with a parent-death SIGKILL, every word intact through sh', () => {
    const argv = qemuArgv(HOST, BOOT, FILES);
    const command = qemuCommand(HOST.setpriv, argv);
    expect(argvOf(command)).toEqual([HOST.setpriv, '--pdeathsig', 'KILL', ...argv]);
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellQuote('max,-smap')).toBe('max,-smap');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
    expect(words(shellCommand(['a b', '$HOME', '*']))).toEqual(['a b', '$HOME', '*']);
  });

  it('passes any words through sh unchanged', () => {
    for (const seed of testSeeds('shellQuote')) {
      fc.assert(
        fc.property(
          fc.array(fc.string({ unit: 'binary-ascii', minLength: 0, maxLength: 12 }), {
            maxLength: 6,
          }),
          (raw) => {
            const argv = raw.map((w) => w.replace(/\0/g, '')); // argv words hold no NUL
            expect(argvOf(shellCommand(argv))).toEqual(argv);
          },
        ),
        { seed, numRuns: 25 },
      );
    }
  });
});
