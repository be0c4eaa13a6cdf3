// `--subject xen`: the real Xen hypervisor, booted under QEMU, as a subject. The agent in dom0
// (agents/xen-dom0/agent.c) speaks the wire protocol over a virtio-serial port on QEMU's stdin
// and stdout, so on this side real Xen is a wire subject (../wire/wireSubject.ts) whose command
// is QEMU; this file finds and builds what QEMU boots, reports Xen's console with any failure,
// and makes sure QEMU never outlives grantcheck.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GrantConfig } from '../../config.ts';
import { quote } from '../../input/index.ts';
import type { Subject } from '../subject.ts';
import { SubjectError } from '../subject.ts';
import type { ClosableSubjectFactory } from '../wire/wireSubject.ts';
import { openWireSubject } from '../wire/wireSubject.ts';
import type { BuildOptions } from './initramfs.ts';
import { buildBootFiles } from './initramfs.ts';
import { qemuArgv, qemuCommand } from './qemu.ts';
import type { SetupEnv } from './setup.ts';
import { findXenHost } from './setup.ts';

export interface XenOptions extends BuildOptions {
  /** Where to look for the packages (tests: a fake machine). */
  readonly setup?: SetupEnv;
  /** Milliseconds to wait for the agent's hello (the boot) and for each answer after it. */
  readonly startTimeoutMs?: number;
  readonly timeoutMs?: number;
  /** More words for dom0's kernel command line (tests). */
  readonly dom0Args?: string;
}

/** A boot under TCG took ~9 s on a 2-core machine; a slow CI machine gets 30 times that. */
export const XEN_START_TIMEOUT_MS = 300_000;
/** One answer: a batch of up to 1024 hypercalls, under software emulation. */
export const XEN_TIMEOUT_MS = 60_000;

/** Real Xen as a subject factory (the wire subject's, every field kept), with what the boot
 * left behind for reports. */
export interface XenSubjectFactory extends ClosableSubjectFactory {
  /** Xen's serial console (kept after a failure, removed on a clean close). */
  readonly consoleLog: string;
  /** The file QEMU wrote its pid to. */
  readonly pidFile: string;
  /** Milliseconds from starting QEMU to the agent's hello. */
  readonly bootMs: number;
}

/** Lines of Xen's console that say the machine is gone (hwdom_shutdown in xen/common/shutdown.c,
 * panic in xen/drivers/char/console.c): QEMU is then stopped at once, since with noreboot a
 * halted Xen keeps QEMU running until the boot deadline. */
export const XEN_FATAL =
  /Hardware Dom\d+ (halted|crashed|shutdown)|Hardware domain \d+ did unsupported|Panic on CPU/;

/** The last line of Xen's console that says something (not blank, not a rule of stars), as
 * one printable line. */
export function lastConsoleLine(text: string): string | undefined {
  const lines = text
    // eslint-disable-next-line no-control-regex -- terminal colour codes
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
    .split(/\r?\n|\r/)
    // eslint-disable-next-line no-control-regex -- control characters
    .map((l) => l.replace(/[\x00-\x1f\x7f]/g, '').trim())
    .filter((l) => /[A-Za-z0-9].*[A-Za-z0-9].*[A-Za-z0-9]/.test(l.replace(/^\(XEN\)/, '')));
  const last = lines[lines.length - 1];
  return last === undefined ? undefined : last.slice(0, 200);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** The watcher's body (plain JavaScript, run as a worker while the engine's thread blocks on
 * the channel): stop QEMU when Xen's console says the machine is gone. */
function watcherSource(): string {
  return `const { readFileSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const fatal = new RegExp(workerData.fatal);
// Armed again only once the log no longer says so: a QEMU started afresh (a subject that boots
// again) truncates the log, and must not be stopped for its predecessor's last words.
let armed = true;
setInterval(() => {
  let text = '';
  try { text = readFileSync(workerData.consoleLog, 'latin1'); } catch { return; }
  if (!fatal.test(text)) { armed = true; return; }
  if (!armed) return;
  armed = false;
  try {
    const pid = Number(readFileSync(workerData.pidFile, 'utf8').trim());
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {}
}, 250);`;
}

/** Boot real Xen and return it as a subject factory. Throws a SubjectError (one line) when a
 * package is missing, the agent does not build, or the boot fails; the line ends with the last
 * line of Xen's console. */
export function openXenSubject(options: XenOptions = {}): XenSubjectFactory {
  const host = findXenHost(options.setup);
  const boot = buildBootFiles(host, options);
  const runDir = mkdtempSync(join(tmpdir(), 'grantcheck-xen-run-'));
  const consoleLog = join(runDir, 'console.log');
  const pidFile = join(runDir, 'qemu.pid');
  const command = qemuCommand(
    host.setpriv,
    qemuArgv(host, boot, { consoleLog, pidFile }, options.dom0Args),
  );

  const watcher = new Worker(watcherSource(), {
    eval: true,
    workerData: { consoleLog, pidFile, fatal: XEN_FATAL.source },
  });
  watcher.on('error', () => {}); // a watcher that fails only loses the early stop
  watcher.unref();
  /** The first failure: the channel is closed after it, and what fails later (an engine
   * retrying, shrinking) only echoes it, so every later error reports the first. */
  let failure: SubjectError | undefined;
  /** The wire's message with the subject named "xen" (not QEMU's whole command line) and the
   * end of Xen's console. */
  const explain = (e: unknown): unknown => {
    if (!(e instanceof SubjectError)) return e;
    if (failure) return failure;
    const message = e.message.replace(`subject ${quote(command)}: `, 'subject xen: ');
    const last = lastConsoleLine(readText(consoleLog));
    const tail =
      last === undefined
        ? `; Xen's console (${consoleLog}) is empty`
        : `; Xen's console ends: ${last} (whole log: ${consoleLog})`;
    failure = new SubjectError(`${message}${tail}`);
    return failure;
  };
  const stopWatcher = () => void watcher.terminate();

  const started = performance.now();
  let wire: ClosableSubjectFactory;
  try {
    wire = openWireSubject(command, {
      startTimeoutMs: options.startTimeoutMs ?? XEN_START_TIMEOUT_MS,
      timeoutMs: options.timeoutMs ?? XEN_TIMEOUT_MS,
    });
  } catch (e) {
    stopWatcher();
    throw explain(e);
  }
  const bootMs = performance.now() - started;

  const guard =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return f(...args);
      } catch (e) {
        throw explain(e);
      }
    };
  /** The instance as it is (every field, `start` included), its methods guarded. */
  const wrap = (s: Subject): Subject =>
    new Proxy(s, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function'
          ? guard((...args: unknown[]): unknown => Reflect.apply(value, target, args))
          : value;
      },
    });
  let closed = false;
  return {
    ...wire,
    create: guard((config: GrantConfig) => wrap(wire.create(config))),
    close: () => {
      if (closed) return;
      closed = true;
      wire.close();
      stopWatcher();
      if (!failure) rmSync(runDir, { recursive: true, force: true });
    },
    consoleLog,
    pidFile,
    bootMs,
  };
}
