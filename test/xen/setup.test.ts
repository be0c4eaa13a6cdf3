// Finding what `--subject xen` needs (src/subject/xen/setup.ts), on a fake machine: a root and a
// PATH built in a temp dir. Each thing missing is one line naming it and the apt-get command.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SubjectError } from '../../src/subject/subject.ts';
import {
  checkXenHost,
  compareVersions,
  DOM0_MODULES,
  findXenHost,
  XEN_APT_COMMAND,
  XenSetupError,
} from '../../src/subject/xen/setup.ts';

let root: string;
let bin: string;

function put(path: string, text = ''): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function exe(name: string): void {
  put(join(bin, name), '#!/bin/sh\n');
  chmodSync(join(bin, name), 0o755);
}

/** A kernel with every module, in modules.dep the way Debian 12's lists them. */
function kernel(version: string, skip: readonly string[] = []): void {
  put(join(root, 'boot', `vmlinuz-${version}`));
  const dir = join(root, 'lib', 'modules', version);
  const lines = DOM0_MODULES.filter((m) => !skip.includes(m)).map((m) => {
    const path = `kernel/drivers/x/${m}.ko`;
    put(join(dir, path));
    const deps =
      m === 'virtio_console'
        ? ' kernel/drivers/x/virtio.ko kernel/drivers/x/virtio_ring.ko'
        : m === 'xen-gntalloc'
          ? ' kernel/drivers/x/extra_dep.ko'
          : '';
    return `${path}:${deps}`;
  });
  put(join(dir, 'kernel/drivers/x/extra_dep.ko'));
  lines.push('kernel/drivers/x/extra_dep.ko:');
  put(join(dir, 'modules.dep'), `${lines.reverse().join('\n')}\n`);
}

function wholeMachine(): void {
  exe('qemu-system-x86_64');
  exe('gcc');
  exe('setpriv');
  put(join(root, 'boot', 'xen-4.17-amd64.gz'));
  kernel('6.1.0-57-amd64');
  put(join(root, 'usr', 'include', 'xen', 'sys', 'privcmd.h'));
  put(join(root, 'usr', 'lib', 'x86_64-linux-gnu', 'libc.a'));
}

const env = () => ({ root, path: bin, runningKernel: 'none' });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'grantcheck-setup-'));
  bin = join(root, 'bin');
  mkdirSync(bin);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('findXenHost', () => {
  it('finds everything on a whole machine, modules in load order', () => {
    wholeMachine();
    const host = findXenHost(env());
    expect(host.qemu).toBe(join(bin, 'qemu-system-x86_64'));
    expect(host.xenImage).toBe(join(root, 'boot', 'xen-4.17-amd64.gz'));
    expect(host.vmlinuz).toBe(join(root, 'boot', 'vmlinuz-6.1.0-57-amd64'));
    expect(host.modules.map((m) => m.name)).toEqual([
      ...DOM0_MODULES.slice(0, -1),
      'extra_dep', // xen-gntalloc's dependency in modules.dep, loaded before it
      'xen-gntalloc',
    ]);
    expect(host.modules[0]?.path).toBe(
      join(root, 'lib/modules/6.1.0-57-amd64/kernel/drivers/x/virtio_ring.ko'),
    );
  });

  it.each([
    ['qemu', () => unlinkSync(join(bin, 'qemu-system-x86_64')), 'no qemu-system-x86_64 on PATH'],
    ['gcc', () => unlinkSync(join(bin, 'gcc')), 'no gcc on PATH'],
    ['setpriv', () => unlinkSync(join(bin, 'setpriv')), 'no setpriv on PATH'],
    ['xen', () => unlinkSync(join(root, 'boot', 'xen-4.17-amd64.gz')), 'no Xen hypervisor image'],
    ['kernel', () => unlinkSync(join(root, 'boot', 'vmlinuz-6.1.0-57-amd64')), 'no Linux kernel'],
    ['headers', () => unlinkSync(join(root, 'usr/include/xen/sys/privcmd.h')), 'no Xen headers'],
    ['libc', () => unlinkSync(join(root, 'usr/lib/x86_64-linux-gnu/libc.a')), 'no static libc'],
  ])('names a missing %s and the apt-get command, in one line', (_, remove, missing) => {
    wholeMachine();
    remove();
    let error: unknown;
    try {
      findXenHost(env());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(XenSetupError);
    expect(error).toBeInstanceOf(SubjectError); // reported like bad input: exit 2
    const message = (error as Error).message;
    expect(message).toContain(missing);
    expect(message).toContain(`install with: ${XEN_APT_COMMAND}`);
    expect(message).not.toContain('\n');
  });

  it('names a kernel module missing from modules.dep', () => {
    wholeMachine();
    rmSync(join(root, 'lib'), { recursive: true });
    kernel('6.1.0-57-amd64', ['xen-gntdev']);
    const found = checkXenHost(env());
    expect(found.ok).toBe(false);
    if (!found.ok)
      expect(found.missing).toMatch(/^no kernel module xen-gntdev for Linux 6\.1\.0-57/);
  });

  it('takes the newest complete kernel, the running one first, and the newest Xen image', () => {
    wholeMachine();
    kernel('6.1.0-9-amd64');
    kernel('6.1.0-60-amd64', ['virtio_pci']); // incomplete: passed over
    put(join(root, 'boot', 'vmlinuz-6.2.0-1-amd64')); // no modules at all
    expect(findXenHost(env()).kernelVersion).toBe('6.1.0-57-amd64');
    expect(findXenHost({ ...env(), runningKernel: '6.1.0-9-amd64' }).kernelVersion).toBe(
      '6.1.0-9-amd64',
    );
    unlinkSync(join(root, 'boot', 'xen-4.17-amd64.gz'));
    put(join(root, 'boot', 'xen-4.9-amd64.gz'));
    put(join(root, 'boot', 'xen-4.19-amd64.gz'));
    expect(findXenHost(env()).xenImage).toBe(join(root, 'boot', 'xen-4.19-amd64.gz'));
  });

  it('leaves out built-in modules and loads dependencies first', () => {
    wholeMachine();
    const dir = join(root, 'lib', 'modules', '6.1.0-57-amd64');
    put(join(dir, 'modules.builtin'), 'kernel/drivers/x/virtio_pci_legacy_dev.ko\n');
    const names = findXenHost(env()).modules.map((m) => m.name);
    expect(names).not.toContain('virtio_pci_legacy_dev');
    expect(names.indexOf('virtio')).toBeLessThan(names.indexOf('virtio_console'));
  });
});

it('compares versions numerically', () => {
  expect(compareVersions('4.17', '4.9')).toBeGreaterThan(0);
  expect(compareVersions('6.1.0-57-amd64', '6.1.0-9-amd64')).toBeGreaterThan(0);
  expect(compareVersions('6.1.0-57-amd64', '6.1.0-57-amd64')).toBe(0);
});
