// Shared by the real-Xen suites (test/xen/*.real.test.ts): whether this machine can boot real
// Xen, said in one line when it cannot (a failure instead under GRANTCHECK_REQUIRE_XEN=1, as in
// CI), the agents, and the processes a boot leaves behind.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { checkXenHost, XEN_APT_COMMAND } from '../../src/subject/xen/setup.ts';

const found = checkXenHost();

/** Can this machine boot real Xen? When it cannot, one line says why; under
 * GRANTCHECK_REQUIRE_XEN=1 a test fails instead (see `requireXen`). */
export const XEN_AVAILABLE = found.ok;
export const XEN_REQUIRED = process.env['GRANTCHECK_REQUIRE_XEN'] === '1';

/** Has another real-Xen file of this test run said it? Each file runs in its own worker; the
 * first to create a marker named after the test run's process says the line. */
function firstToSay(): boolean {
  try {
    writeFileSync(join(tmpdir(), `grantcheck-xen-skipped-${process.ppid}`), '', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

/** Call at the top of a real-Xen suite file: prints the one line (once per test run), or
 * registers the failing test. */
export function sayWhetherXenRuns(suite: string): void {
  if (found.ok) return;
  if (XEN_REQUIRED) {
    it(`${suite}: real Xen is required (GRANTCHECK_REQUIRE_XEN=1)`, () => {
      throw new Error(`${found.missing}; install with: ${XEN_APT_COMMAND}`);
    });
    return;
  }
  if (!firstToSay()) return;
  console.log(`real-Xen suite did not run: ${found.missing}; install with: ${XEN_APT_COMMAND}`);
}

export const ROOT = join(import.meta.dirname, '..', '..');

/** node's arguments that run grantcheck's CLI from the sources, then `args`: for a test that
 * needs a real process (signals, QEMU's parent-death signal). */
export function grantcheckArgv(...args: string[]): string[] {
  return ['--import', 'tsx', join(ROOT, 'bin', 'grantcheck.ts'), ...args];
}
/** The stand-in agent: query_size only (test/fixtures/xen/stand-in-agent.c). */
export const STAND_IN_AGENT = join(ROOT, 'test', 'fixtures', 'xen', 'stand-in-agent.c');

/** Is process `pid` alive (and not a zombie)? */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** The pids of the children of `parent` whose command is `comm` (from /proc/PID/stat). */
export function childrenNamed(parent: number, comm: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses: split at the last ')'
    const close = stat.lastIndexOf(')');
    const command = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === parent && command.startsWith(comm)) pids.push(Number(name));
  }
  return pids;
}

/** Wait until `check` holds, polling; false if it did not within `ms`. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** The members of a newc cpio archive, in order (a reader for tests; test/xen/cpio.test.ts
 * checks the writer against GNU cpio itself). */
export function readCpio(archive: Buffer): { name: string; mode: number; data: Buffer }[] {
  const members: { name: string; mode: number; data: Buffer }[] = [];
  const pad = (n: number) => (n + 3) & ~3;
  for (let at = 0; ;) {
    const field = (i: number) =>
      parseInt(archive.toString('ascii', at + 6 + 8 * i, at + 14 + 8 * i), 16);
    if (archive.toString('ascii', at, at + 6) !== '070701')
      throw new Error(`no cpio header at ${at}`);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = archive.toString('utf8', at + 110, at + 110 + nameSize - 1);
    const dataAt = pad(at + 110 + nameSize);
    if (name === 'TRAILER!!!') return members;
    members.push({ name, mode, data: archive.subarray(dataAt, dataAt + size) });
    at = pad(dataAt + size);
  }
}
