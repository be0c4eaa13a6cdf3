// What `--subject xen` needs from the machine, all from Debian's packages: QEMU, the Xen
// hypervisor image, a Linux kernel for dom0 with the modules the agent loads, and gcc with Xen's
// public headers and a static libc to build the agent. Found once, before anything is built or
// booted; anything missing is one line naming it and the apt-get command that installs it.

import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';
import { SubjectError } from '../subject.ts';

/** The Debian packages, in one command (docs/real-xen.md). */
export const XEN_APT_COMMAND =
  'apt-get install -y --no-install-recommends qemu-system-x86 xen-hypervisor-4.17-amd64 linux-image-amd64 libxen-dev gcc libc6-dev';

/** The kernel modules the agent loads, in load order: the virtio-serial port (the channel to the
 * host) and Xen's privcmd, gntdev and gntalloc devices. */
export const DOM0_MODULES: readonly string[] = [
  'virtio_ring',
  'virtio',
  'virtio_pci_legacy_dev',
  'virtio_pci_modern_dev',
  'virtio_pci',
  'virtio_console',
  'xen-privcmd',
  'xen-gntdev',
  'xen-gntalloc',
];

/** Something `--subject xen` needs is not installed: one line, reported like bad input. */
export class XenSetupError extends SubjectError {
  constructor(readonly missing: string) {
    super(`--subject xen: ${missing}; install with: ${XEN_APT_COMMAND}`);
  }
}

/** One kernel module of dom0's kernel: its name and where its file is. */
export interface KernelModule {
  readonly name: string;
  readonly path: string;
}

/** Everything found, as absolute paths. */
export interface XenHost {
  readonly qemu: string;
  readonly gcc: string;
  /** util-linux's setpriv: QEMU runs under it with a parent-death signal (./qemu.ts). */
  readonly setpriv: string;
  /** The gzipped hypervisor image, e.g. /boot/xen-4.17-amd64.gz. */
  readonly xenImage: string;
  /** dom0's kernel: its version, image, and the modules in load order (dependencies first,
   * built-in ones left out). */
  readonly kernelVersion: string;
  readonly vmlinuz: string;
  readonly modules: readonly KernelModule[];
}

/** Where to look: the file-system root and PATH (tests point both at a fake machine). */
export interface SetupEnv {
  readonly root?: string;
  readonly path?: string;
  /** The running kernel's version (`uname -r`), preferred when several kernels are complete. */
  readonly runningKernel?: string;
}

function executableOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Version strings compared numerically part by part ("4.17" after "4.9", "6.1.0-57" after
 * "6.1.0-9"). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[^0-9]+/).filter((p) => p !== '');
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = Number(pa[i] ?? -1) - Number(pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/** The hypervisor image: xen-4.17-amd64.gz, else the newest /boot/xen-*.gz. */
function findXenImage(boot: string): string | undefined {
  const preferred = join(boot, 'xen-4.17-amd64.gz');
  if (existsSync(preferred)) return preferred;
  const images = listDir(boot)
    .filter((f) => /^xen-.*\.gz$/.test(f))
    .sort(compareVersions);
  const newest = images[images.length - 1];
  return newest === undefined ? undefined : join(boot, newest);
}

/** Module name → its path in modules.dep and its dependencies' paths. */
function readModulesDep(modulesDir: string): Map<string, { path: string; deps: string[] }> {
  const byName = new Map<string, { path: string; deps: string[] }>();
  let text: string;
  try {
    text = readFileSync(join(modulesDir, 'modules.dep'), 'utf8');
  } catch {
    return byName;
  }
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter((d) => d !== '');
    byName.set(moduleName(path), { path, deps });
  }
  return byName;
}

/** `kernel/drivers/xen/xen-privcmd.ko.xz` → `xen-privcmd`. */
function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.[a-z0-9]+)?$/, '');
}

function readBuiltin(modulesDir: string): Set<string> {
  try {
    return new Set(
      readFileSync(join(modulesDir, 'modules.builtin'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map(moduleName),
    );
  } catch {
    return new Set();
  }
}

/** The modules to load from `modulesDir`, dependencies first; or the first one missing. */
function resolveModules(
  modulesDir: string,
): { ok: true; modules: KernelModule[] } | { ok: false; missing: string } {
  const dep = readModulesDep(modulesDir);
  const builtin = readBuiltin(modulesDir);
  const modules: KernelModule[] = [];
  const seen = new Set<string>();
  const add = (name: string): string | null => {
    if (seen.has(name) || builtin.has(name)) return null;
    seen.add(name);
    const entry = dep.get(name);
    if (!entry) return name;
    for (const d of entry.deps) {
      const missing = add(moduleName(d));
      if (missing !== null) return missing;
    }
    const path = join(modulesDir, entry.path);
    if (!existsSync(path)) return name;
    modules.push({ name, path });
    return null;
  };
  for (const name of DOM0_MODULES) {
    const missing = add(name);
    if (missing !== null) return { ok: false, missing };
  }
  return { ok: true, modules };
}

/** dom0's kernel: a /boot/vmlinuz-<v> whose /lib/modules/<v> has every module; the running
 * kernel's version first, then the newest. */
function findKernel(
  root: string,
  running: string | undefined,
): { version: string; vmlinuz: string; modules: KernelModule[] } | { missing: string } {
  const versions = listDir(join(root, 'boot'))
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .sort(compareVersions)
    .reverse();
  if (versions.length === 0)
    return { missing: `no Linux kernel (${join(root, 'boot')}/vmlinuz-*)` };
  const ordered =
    running !== undefined && versions.includes(running)
      ? [running, ...versions.filter((v) => v !== running)]
      : versions;
  let firstProblem: string | undefined;
  for (const version of ordered) {
    const modulesDir = join(root, 'lib', 'modules', version);
    const resolved = resolveModules(modulesDir);
    if (resolved.ok) {
      return {
        version,
        vmlinuz: join(root, 'boot', `vmlinuz-${version}`),
        modules: resolved.modules,
      };
    }
    firstProblem ??= `no kernel module ${resolved.missing} for Linux ${version} (in ${modulesDir}/modules.dep)`;
  }
  return { missing: firstProblem ?? 'no Linux kernel' };
}

/** Find everything, or say the first thing missing. */
export function checkXenHost(
  env: SetupEnv = {},
): { ok: true; host: XenHost } | { ok: false; missing: string } {
  const root = env.root ?? '/';
  const path = env.path ?? process.env['PATH'] ?? '';
  const qemu = executableOnPath('qemu-system-x86_64', path);
  if (qemu === undefined) return { ok: false, missing: 'no qemu-system-x86_64 on PATH' };
  const setpriv = executableOnPath('setpriv', path);
  if (setpriv === undefined) return { ok: false, missing: 'no setpriv on PATH (util-linux)' };
  const xenImage = findXenImage(join(root, 'boot'));
  if (xenImage === undefined) {
    return { ok: false, missing: `no Xen hypervisor image (${join(root, 'boot')}/xen-*.gz)` };
  }
  const kernel = findKernel(
    root,
    env.runningKernel ?? (env.root === undefined ? release() : undefined),
  );
  if ('missing' in kernel) return { ok: false, missing: kernel.missing };
  const gcc = executableOnPath('gcc', path);
  if (gcc === undefined) return { ok: false, missing: 'no gcc on PATH' };
  const privcmd = join(root, 'usr', 'include', 'xen', 'sys', 'privcmd.h');
  if (!existsSync(privcmd)) return { ok: false, missing: `no Xen headers (${privcmd})` };
  const libc = join(root, 'usr', 'lib', 'x86_64-linux-gnu', 'libc.a');
  if (!existsSync(libc)) return { ok: false, missing: `no static libc (${libc})` };
  return {
    ok: true,
    host: {
      qemu,
      gcc,
      setpriv,
      xenImage,
      kernelVersion: kernel.version,
      vmlinuz: kernel.vmlinuz,
      modules: kernel.modules,
    },
  };
}

/** Find everything; throws a XenSetupError (one line) naming what is missing. */
export function findXenHost(env: SetupEnv = {}): XenHost {
  const found = checkXenHost(env);
  if (!found.ok) throw new XenSetupError(found.missing);
  return found.host;
}
