// Writing the files grantcheck produces (traces, reports): checked before any work, written
// whole or not at all. A write goes to a temporary file in the target directory and is renamed
// into place; a temporary file left by a killed process has a recognisable name
// (`.NAME.PID.grantcheck-tmp`) and is removed by the next write into that directory.

import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const TEMP_SUFFIX = '.grantcheck-tmp';
const TEMP_NAME = /^\..*\.(\d+)\.grantcheck-tmp$/;

function errnoCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** Is process `pid` alive on this machine? (signal 0 only checks; EPERM means it exists) */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

/** Remove the temporary files of writers that died in `dir`; returns how many were removed. */
export function removeStaleTemps(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

/** Write `text` to `path` whole or not at all (temporary file + rename in the same directory).
 * A symbolic link is written through (the file it names is replaced, the link kept); anything
 * else there but a regular file is refused, never replaced: a rename over /dev/null would make
 * it a file. */
export function writeFileAtomic(to: string, text: string): void {
  const path = resolvedTarget(to);
  const kind = kindAt(path);
  if (kind === 'other') throw new Error(`${to} is not a regular file`);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(dir);
  const tmp = join(dir, `.${basename(path)}.${process.pid}${TEMP_SUFFIX}`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Where a write to `path` lands: the file a symbolic link names, whether or not it exists yet
 * (`path` when no link is there). */
function resolvedTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    // Not there, or a link to a file not there yet (a dangling link): follow the link's text.
    try {
      if (!lstatSync(path).isSymbolicLink()) return path;
      return resolve(dirname(path), readlinkSync(path));
    } catch {
      return path;
    }
  }
}

/** What kind of thing is at `path` (a link followed): a directory, a regular file, something
 * else (a device, FIFO or socket), or nothing. */
function kindAt(path: string): 'dir' | 'file' | 'other' | 'none' | { error: string } {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : 'other';
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return 'none';
    if (code === 'ENOTDIR') return { error: 'a part of the path is not a directory' };
    return { error: `cannot inspect it (${code})` };
  }
}

/** Can this process create files in the existing directory `dir`? Tried, not guessed from
 * permission bits (root ignores them; a read-only mount does not). */
function writableProblem(dir: string): string | null {
  const probe = join(dir, `.probe.${process.pid}${TEMP_SUFFIX}`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
    return null;
  } catch (e) {
    return `cannot create files in ${dir} (${errnoCode(e)})`;
  }
}

/** The nearest existing ancestor of `path` must be a writable directory for `path` to be
 * created (with mkdir -p) below it. */
function creatableProblem(path: string): string | null {
  let dir = dirname(resolve(path));
  for (;;) {
    const kind = kindAt(dir);
    if (kind === 'dir') return writableProblem(dir);
    if (kind === 'file' || kind === 'other') return `${dir} is not a directory`;
    if (typeof kind === 'object') return `${dir}: ${kind.error}`;
    const parent = dirname(dir);
    if (parent === dir) return `no existing directory above it`;
    dir = parent;
  }
}

/** Why `path` cannot serve as an output directory (existing, or creatable), or null. */
export function outDirProblem(path: string): string | null {
  if (path === '') return 'the path is empty';
  const kind = kindAt(path);
  if (kind === 'dir') return writableProblem(path);
  if (kind === 'file' || kind === 'other') return `${path} exists and is not a directory`;
  if (typeof kind === 'object') return `${path}: ${kind.error}`;
  return creatableProblem(path);
}

/** Why `path` cannot serve as an output file (it may exist as a regular file, or a link to one,
 * and be replaced), or null. */
export function outFileProblem(path: string): string | null {
  if (path === '') return 'the path is empty';
  const kind = kindAt(path);
  if (kind === 'dir') return `${path} is a directory; give a file name`;
  if (kind === 'other') return `${path} is not a regular file (a device, FIFO or socket)`;
  if (typeof kind === 'object') return `${path}: ${kind.error}`;
  return creatableProblem(resolvedTarget(path));
}
