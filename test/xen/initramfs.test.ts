// Building what QEMU boots (src/subject/xen/initramfs.ts) on a fake host: real gcc and a static
// libc, fake kernel modules and a small gzipped "hypervisor". The cache is keyed by every input,
// never half-written, and shared safely by concurrent builders; a bad agent is one line.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SubjectError } from '../../src/subject/subject.ts';
import { buildBootFiles, cacheKey } from '../../src/subject/xen/initramfs.ts';
import type { XenHost } from '../../src/subject/xen/setup.ts';
import { ROOT } from './support.ts';

const hasCompiler =
  spawnSync('gcc', ['--version']).status === 0 && existsSync('/usr/lib/x86_64-linux-gnu/libc.a');
const runBuild = hasCompiler || process.env['GRANTCHECK_REQUIRE_XEN'] === '1';
if (!runBuild) {
  console.log(
    'initramfs build tests did not run: no gcc or static libc; install with: apt-get install -y gcc libc6-dev',
  );
}

const AGENT = '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n';

let dir: string;
let host: XenHost;
let agent: string;
let cacheRoot: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'grantcheck-initramfs-'));
  const modules = ['virtio_ring', 'xen-privcmd'].map((name) => {
    const path = join(dir, `${name}.ko`);
    writeFileSync(path, `module ${name}`);
    return { name, path };
  });
  writeFileSync(join(dir, 'xen.gz'), gzipSync(Buffer.from('not really Xen')));
  host = {
    qemu: '/bin/true',
    gcc: 'gcc',
    setpriv: '/bin/true',
    xenImage: join(dir, 'xen.gz'),
    kernelVersion: '6.1.0-test',
    vmlinuz: join(dir, 'vmlinuz'),
    modules,
  };
  mkdirSync(join(dir, 'agent'));
  agent = join(dir, 'agent', 'agent.c');
  writeFileSync(agent, AGENT);
  cacheRoot = join(dir, 'cache');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cacheKey', () => {
  it('changes with the agent, a header beside it, the kernel and the hypervisor image', () => {
    const key = cacheKey(host, agent);
    expect(cacheKey(host, agent)).toBe(key);
    writeFileSync(agent, `${AGENT}// changed\n`);
    const changedAgent = cacheKey(host, agent);
    expect(changedAgent).not.toBe(key);
    writeFileSync(join(dir, 'agent', 'extra.h'), '#define X 1\n');
    expect(cacheKey(host, agent)).not.toBe(changedAgent);
    expect(cacheKey({ ...host, kernelVersion: '6.1.0-other' }, agent)).not.toBe(
      cacheKey(host, agent),
    );
    const before = cacheKey(host, agent);
    writeFileSync(host.xenImage, gzipSync(Buffer.from('another Xen, another size')));
    expect(cacheKey(host, agent)).not.toBe(before);
  });
});

describe.skipIf(!runBuild)('buildBootFiles', () => {
  it('builds Xen gunzipped and the initramfs once, then reuses them', () => {
    const files = buildBootFiles(host, { agentSource: agent, cacheRoot });
    expect(readFileSync(files.xen, 'utf8')).toBe('not really Xen');
    expect(files.vmlinuz).toBe(host.vmlinuz);
    const cpio = readFileSync(files.initramfs);
    expect(cpio.subarray(0, 6).toString()).toBe('070701');
    expect(cpio.includes(Buffer.from('modules/xen-privcmd.ko\0'))).toBe(true);
    expect(cpio.includes(Buffer.from('virtio_ring.ko\nxen-privcmd.ko\n'))).toBe(true);
    const mtime = statSync(files.initramfs).mtimeMs;
    expect(buildBootFiles(host, { agentSource: agent, cacheRoot })).toEqual(files);
    expect(statSync(files.initramfs).mtimeMs).toBe(mtime);
    expect(statSync(cacheRoot).mode & 0o777).toBe(0o700);
  });

  it('says in one line that the agent is missing, or does not compile, and caches nothing', () => {
    expect(() => buildBootFiles(host, { agentSource: join(dir, 'none.c'), cacheRoot })).toThrow(
      new SubjectError(`--subject xen: no dom0 agent at ${join(dir, 'none.c')}`),
    );
    writeFileSync(agent, 'int main(void) { return undeclared; }\n');
    let error: unknown;
    try {
      buildBootFiles(host, { agentSource: agent, cacheRoot });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SubjectError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^--subject xen: the dom0 agent .* did not compile \(gcc: exit 1\): .*undeclared/,
    );
    expect(message).not.toContain('\n');
    expect(spawnSync('ls', ['-A', cacheRoot], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('refuses a compressed kernel module in one line', () => {
    const xz = join(dir, 'virtio.ko.xz');
    writeFileSync(xz, 'xz');
    const compressed = { ...host, modules: [...host.modules, { name: 'virtio', path: xz }] };
    expect(() => buildBootFiles(compressed, { agentSource: agent, cacheRoot })).toThrow(
      /kernel module .*virtio\.ko\.xz is compressed/,
    );
  });

  it('gives concurrent builders of one entry the same complete files', async () => {
    const script = `import { buildBootFiles } from ${JSON.stringify(join(ROOT, 'src/subject/xen/initramfs.ts'))};
const files = buildBootFiles(${JSON.stringify(host)}, { agentSource: ${JSON.stringify(agent)}, cacheRoot: ${JSON.stringify(cacheRoot)} });
console.log(JSON.stringify(files));`;
    const builders = Array.from(
      { length: 3 },
      () =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', '--input-type=module', '-e', script],
            {
              cwd: ROOT,
            },
          );
          let out = '';
          let err = '';
          child.stdout.on('data', (b: Buffer) => (out += b.toString()));
          child.stderr.on('data', (b: Buffer) => (err += b.toString()));
          child.on('close', (code) => resolve({ code, out, err }));
        }),
    );
    const results = await Promise.all(builders);
    for (const r of results) expect(r.code, r.err).toBe(0);
    const [first, ...rest] = results.map((r) => r.out);
    for (const r of rest) expect(r).toBe(first);
    const files = JSON.parse(first ?? '{}') as { xen: string; initramfs: string };
    expect(readFileSync(files.xen, 'utf8')).toBe('not really Xen');
    expect(readFileSync(files.initramfs).subarray(0, 6).toString()).toBe('070701');
    // no build directory left behind
    expect(
      spawnSync('ls', ['-A', cacheRoot], { encoding: 'utf8' }).stdout.trim().split('\n'),
    ).toHaveLength(1);
  }, 60_000);
});
