// What QEMU boots for `--subject xen`, built at run time from the installed packages (nothing
// binary is committed): the hypervisor image gunzipped (QEMU's multiboot loader takes an ELF, not
// a gzip), and dom0's initramfs: the agent compiled as a static /init, and the kernel modules it
// loads. Kept in a cache directory keyed by a hash of every input, so that later runs boot at once;
// built in a temporary directory and renamed into place, so a concurrent or killed build never
// leaves a half-written cache entry.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { OpKind } from '../../ops/op.ts';
import { packageRoot } from '../../packageRoot.ts';
import { SubjectError } from '../subject.ts';
import type { CpioEntry } from './cpio.ts';
import { writeCpio } from './cpio.ts';
import type { XenHost } from './setup.ts';

/** Bumped whenever what this file builds changes: old cache entries are then not used. */
export const BUILDER_VERSION = 1;

/** The agent's source, as the repository and the npm package hold it. */
const AGENT_SOURCE = join('agents', 'xen-dom0', 'agent.c');

/** The files one boot needs. */
export interface BootFiles {
  /** The cache entry holding the two below. */
  readonly dir: string;
  /** The hypervisor, gunzipped: QEMU's -kernel. */
  readonly xen: string;
  /** dom0's initramfs: the second multiboot module. */
  readonly initramfs: string;
  /** dom0's kernel: the first multiboot module (used where it is installed). */
  readonly vmlinuz: string;
}

export interface BuildOptions {
  /** The agent's C source (default: defaultAgentSource()). */
  readonly agentSource?: string;
  /** Where cache entries go (default: `<tmpdir>/grantcheck-xen-<uid>`). */
  readonly cacheRoot?: string;
}

/** GRANTCHECK_XEN_AGENT, when set: a developer's agent or a test's stand-in. */
function chosenAgent(): string | undefined {
  const chosen = process.env['GRANTCHECK_XEN_AGENT'];
  return chosen === '' ? undefined : chosen;
}

/** The agent's source: the chosen one (chosenAgent), else this package's
 * agents/xen-dom0/agent.c. */
export function defaultAgentSource(): string {
  return chosenAgent() ?? join(packageRoot(), AGENT_SOURCE);
}

/** The op kinds this package's agent lists in its hello (agents/xen-dom0/agent.c, `hello`;
 * test/xen/config.test.ts keeps the two equal): every strict kind but `destroy_domain`, since
 * dom0 is alone and may not kill itself. */
export const PACKAGED_AGENT_OP_KINDS: readonly OpKind[] = [
  'grant_access',
  'end_access',
  'grant_transfer',
  'end_transfer',
  'raw_write',
  'map_grant_ref',
  'unmap_grant_ref',
  'transfer',
  'setup_table',
  'query_size',
  'swap_grant_ref',
  'write_page',
  'read_page',
  'copy',
  'write_mapped',
  'read_mapped',
  'unmap_and_replace',
];

/** The op kinds `--subject xen` will implement, known before the boot: the packaged agent's; or
 * undefined with a chosen agent (chosenAgent), which says only in its own hello. */
export function knownXenOpKinds(): readonly OpKind[] | undefined {
  return chosenAgent() === undefined ? PACKAGED_AGENT_OP_KINDS : undefined;
}

export function defaultCacheRoot(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `grantcheck-xen-${uid}`);
}

/** The files of the agent that go into its build: the .c file and the headers beside it. */
function agentFiles(source: string): string[] {
  const dir = dirname(source);
  const headers = readdirSync(dir)
    .filter((f) => f.endsWith('.h'))
    .sort();
  return [source, ...headers.map((h) => join(dir, h))];
}

/** The cache key: every input that changes what is built. */
export function cacheKey(host: XenHost, agentSource: string): string {
  const hash = createHash('sha256');
  const add = (label: string, value: string | Buffer) => {
    hash.update(`${label}\0`);
    hash.update(value);
    hash.update('\0');
  };
  add('builder', String(BUILDER_VERSION));
  for (const f of agentFiles(agentSource)) add(basename(f), readFileSync(f));
  add('kernel', host.kernelVersion);
  for (const m of host.modules) add('module', m.path);
  const xen = statSync(host.xenImage);
  add('xen', `${host.xenImage} ${xen.size} ${xen.mtimeMs}`);
  return hash.digest('hex').slice(0, 24);
}

/** A directory only this user can write, or a SubjectError. */
function ownDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new SubjectError(
      `--subject xen: the cache directory ${dir} is not a private directory of this user`,
    );
  }
}

/** Remove the build directories of builders that died. */
function removeStaleBuilds(cacheRoot: string): void {
  for (const name of readdirSync(cacheRoot)) {
    const m = /^\.build-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(join(cacheRoot, name), { recursive: true, force: true });
  }
}

/** The first line of gcc's output that says what is wrong. */
function firstError(output: string): string {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const error = lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '';
  return error.trim().slice(0, 200);
}

/** Compile the agent as a static /init. */
function compileAgent(host: XenHost, source: string, out: string): void {
  const args = [
    '-static',
    '-O2',
    '-Wall',
    '-D__XEN_TOOLS__',
    '-I',
    dirname(source),
    '-o',
    out,
    source,
  ];
  const gcc = spawnSync(host.gcc, args, { encoding: 'utf8', timeout: 120_000 });
  if (gcc.status !== 0) {
    const why = gcc.error ? gcc.error.message : `exit ${gcc.status ?? gcc.signal}`;
    throw new SubjectError(
      `--subject xen: the dom0 agent ${source} did not compile (gcc: ${why}): ${firstError(gcc.stderr ?? '')}`,
    );
  }
}

/** The initramfs: /init, the mount points, and the modules with their load order. */
function initramfsEntries(host: XenHost, init: Buffer): CpioEntry[] {
  const entries: CpioEntry[] = [
    { kind: 'file', name: 'init', data: init, mode: 0o755 },
    { kind: 'dir', name: 'dev' },
    { kind: 'dir', name: 'proc' },
    { kind: 'dir', name: 'sys' },
    { kind: 'dir', name: 'modules' },
  ];
  const order: string[] = [];
  for (const m of host.modules) {
    if (!m.path.endsWith('.ko')) {
      throw new SubjectError(
        `--subject xen: kernel module ${m.path} is compressed; the dom0 agent loads plain .ko files (as Debian 12 installs them)`,
      );
    }
    const name = basename(m.path);
    order.push(name);
    entries.push({ kind: 'file', name: `modules/${name}`, data: readFileSync(m.path) });
  }
  entries.push({ kind: 'file', name: 'modules/order', data: Buffer.from(`${order.join('\n')}\n`) });
  return entries;
}

function gunzipXen(image: string): Buffer {
  try {
    return gunzipSync(readFileSync(image));
  } catch (e) {
    throw new SubjectError(
      `--subject xen: ${image} is not a gzipped Xen image (${(e as Error).message})`,
    );
  }
}

function bootFiles(dir: string, host: XenHost): BootFiles {
  return {
    dir,
    xen: join(dir, 'xen'),
    initramfs: join(dir, 'initramfs.cpio'),
    vmlinuz: host.vmlinuz,
  };
}

/** The boot files for `host`: from the cache, or built into it. Throws a SubjectError (one
 * line) when the agent is missing or does not compile. */
export function buildBootFiles(host: XenHost, options: BuildOptions = {}): BootFiles {
  const agentSource = options.agentSource ?? defaultAgentSource();
  if (!existsSync(agentSource)) {
    throw new SubjectError(`--subject xen: no dom0 agent at ${agentSource}`);
  }
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  ownDirectory(cacheRoot);
  const dir = join(cacheRoot, cacheKey(host, agentSource));
  const files = bootFiles(dir, host);
  if (existsSync(files.xen) && existsSync(files.initramfs)) return files;

  removeStaleBuilds(cacheRoot);
  const build = join(cacheRoot, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(build, { mode: 0o700 });
  try {
    writeFileSync(join(build, 'xen'), gunzipXen(host.xenImage));
    const init = join(build, 'init');
    compileAgent(host, agentSource, init);
    writeFileSync(
      join(build, 'initramfs.cpio'),
      writeCpio(initramfsEntries(host, readFileSync(init))),
    );
    try {
      renameSync(build, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      // Another grantcheck built the same entry first (its files are the same), unless what is
      // there is incomplete: then it is moved aside, never deleted in place under a reader.
      if (!(existsSync(files.xen) && existsSync(files.initramfs))) {
        const aside = `${build}-stale`;
        renameSync(dir, aside);
        renameSync(build, dir);
        rmSync(aside, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  return files;
}
