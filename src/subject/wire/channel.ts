// A synchronous line channel to a child process. The engines are synchronous (a fast-check
// property, a BFS hook), and a subject in another process answers asynchronously; so a worker
// thread owns the child and its pipes, and the engine's thread blocks on Atomics.wait until the
// worker has put the next line in shared memory, with a deadline. A child that crashes, hangs or
// floods is reported as a ChannelError, never a hung run; the child is killed on close and when
// grantcheck exits.

import type * as ChildProcess from 'node:child_process';
import type * as WorkerThreads from 'node:worker_threads';
import { Worker } from 'node:worker_threads';

/** What goes wrong on the channel: one line, for the user. */
export class ChannelError extends Error {}

export interface ChannelOptions {
  /** How long to wait for each line. */
  readonly timeoutMs: number;
  /** The longest line accepted. */
  readonly maxLineBytes: number;
}

// Shared header slots (Int32): what the worker has put in the line buffer, its length, the
// child's pid, and the length of the stderr tail.
const STATUS = 0;
const LENGTH = 1;
const PID = 2;
const STDERR_LENGTH = 3;
const WAITING = 0; // the engine waits for a line
const LINE = 1; // a line is in the buffer
const CLOSED = 2; // the child is gone; the buffer says why
const TOO_LONG = 3; // the next line is longer than the buffer; LENGTH says how long

const STDERR_TAIL_BYTES = 2048;

interface WorkerData {
  readonly argv: readonly string[];
  readonly control: SharedArrayBuffer;
  readonly lines: SharedArrayBuffer;
  readonly stderr: SharedArrayBuffer;
}

/** The worker's body. Why source text? It runs in a worker thread, evaluated as a script, so it
 * needs no TypeScript loader there: only plain JavaScript once this file is compiled. */
function workerBody(load: (id: string) => unknown, data: WorkerData): void {
  const { spawn } = load('node:child_process') as typeof ChildProcess;
  const { parentPort } = load('node:worker_threads') as typeof WorkerThreads;
  const header = new Int32Array(data.control);
  const out = new Uint8Array(data.lines);
  const err = new Uint8Array(data.stderr);
  const [command, ...args] = data.argv;
  const child = spawn(command ?? '', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  Atomics.store(header, 2, child.pid ?? -1);
  const queue: Buffer[] = [];
  let tail = Buffer.alloc(0);
  let gone: string | null = null;
  const post = (status: number, bytes: Buffer, length: number): void => {
    out.set(bytes.subarray(0, out.length));
    Atomics.store(header, 1, length);
    Atomics.store(header, 0, status);
    Atomics.notify(header, 0);
  };
  const deliver = (): void => {
    if (Atomics.load(header, 0) !== 0) return;
    const line = queue.shift();
    if (line !== undefined) {
      post(line.length > out.length ? 3 : 1, line, line.length);
    } else if (gone !== null) {
      const why = Buffer.from(gone);
      post(2, why, Math.min(why.length, out.length));
    }
  };
  // Lines are collected in parts (no quadratic re-concatenation); a line longer than the
  // buffer is reported as too long once and the rest of it is dropped.
  let parts: Buffer[] = [];
  let partLength = 0;
  let overflow = false;
  child.stdout.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
      if (!overflow) queue.push(Buffer.concat([...parts, chunk.subarray(start, i)]));
      parts = [];
      partLength = 0;
      overflow = false;
      start = i + 1;
    }
    if (start < chunk.length && !overflow) {
      parts.push(chunk.subarray(start));
      partLength += chunk.length - start;
      if (partLength > out.length) {
        queue.push(Buffer.alloc(out.length + 1)); // reported as too long
        parts = [];
        partLength = 0;
        overflow = true;
      }
    }
    deliver();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]).subarray(-err.length);
    err.set(tail);
    Atomics.store(header, 3, tail.length);
  });
  child.stdin.on('error', () => {}); // the child left: reported by 'close'
  child.on('error', (e: NodeJS.ErrnoException) => {
    gone = `could not be started (${e.code ?? e.message})`;
    deliver();
  });
  child.on('close', (code: number | null, signal: string | null) => {
    gone = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    deliver();
  });
  parentPort?.on('message', (m: { send?: string; kill?: true }) => {
    if (m.kill) child.kill('SIGKILL');
    else if (m.send !== undefined && child.stdin.writable) child.stdin.write(`${m.send}\n`);
    deliver();
  });
}

/** The worker's script: the body, with a stand-in for the `__name` helper that some
 * transpilers (tsx's keepNames) insert into function text, and a failure of the body itself
 * reported as the channel being closed. */
function workerSource(): string {
  return `const __name = (f) => f;
const data = require('node:worker_threads').workerData;
try {
  (${workerBody.toString()})(require, data);
} catch (e) {
  const why = Buffer.from('could not be started: ' + (e && e.message));
  const header = new Int32Array(data.control);
  const n = Math.min(why.length, data.lines.byteLength);
  new Uint8Array(data.lines).set(why.subarray(0, n));
  Atomics.store(header, ${LENGTH}, n);
  Atomics.store(header, ${STATUS}, ${CLOSED});
  Atomics.notify(header, ${STATUS});
}`;
}

/** A character as it may appear in a one-line message: control characters escaped, line
 * breaks shown as " | ". */
function printable(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return ' | ';
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  return c;
}

/** Children still running, killed when grantcheck exits whatever the reason. */
const live = new Set<number>();
let exitHookInstalled = false;

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export class SyncLineChannel {
  private readonly worker: Worker;
  private readonly header: Int32Array;
  private readonly lines: Uint8Array;
  private readonly stderr: Uint8Array;
  private readonly decoder = new TextDecoder();
  private closed = false;

  constructor(
    argv: readonly string[],
    private readonly options: ChannelOptions,
  ) {
    const data: WorkerData = {
      argv,
      control: new SharedArrayBuffer(16),
      lines: new SharedArrayBuffer(options.maxLineBytes),
      stderr: new SharedArrayBuffer(STDERR_TAIL_BYTES),
    };
    this.header = new Int32Array(data.control);
    this.lines = new Uint8Array(data.lines);
    this.stderr = new Uint8Array(data.stderr);
    this.worker = new Worker(workerSource(), { eval: true, workerData: data });
    this.worker.on('error', () => {}); // reported through the header (see workerSource)
    this.worker.unref();
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => live.forEach(killQuietly));
    }
  }

  /** Send `line` (none: only read) and return the child's next line; `what` names the
   * awaited message in errors. */
  exchange(line: string | undefined, what: string, timeoutMs = this.options.timeoutMs): string {
    if (this.closed) throw new ChannelError(`the subject is closed (waiting for ${what})`);
    Atomics.store(this.header, STATUS, WAITING);
    this.worker.postMessage(line === undefined ? {} : { send: line });
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(this.header, STATUS) === WAITING) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new ChannelError(
          `no ${what} from the subject within ${timeoutMs / 1000} s${this.stderrNote()}`,
        );
      }
      Atomics.wait(this.header, STATUS, WAITING, left);
    }
    this.trackPid();
    const status = Atomics.load(this.header, STATUS);
    const length = Atomics.load(this.header, LENGTH);
    if (status === LINE) return this.decoder.decode(this.lines.subarray(0, length));
    if (status === TOO_LONG) {
      throw new ChannelError(
        `the subject sent a line of over ${this.options.maxLineBytes} bytes (waiting for ${what})`,
      );
    }
    const why = this.decoder.decode(this.lines.subarray(0, length));
    throw new ChannelError(`the subject ${why} (waiting for ${what})${this.stderrNote()}`);
  }

  /** Send a line without waiting for an answer. */
  send(line: string): void {
    if (!this.closed) this.worker.postMessage({ send: line });
  }

  /** The last of what the child wrote to stderr, as one escaped line. */
  stderrTail(): string {
    const n = Atomics.load(this.header, STDERR_LENGTH);
    const text = this.decoder.decode(this.stderr.subarray(0, n)).trim();
    return [...text].map(printable).join('').slice(-300);
  }

  private stderrNote(): string {
    const tail = this.stderrTail();
    return tail === '' ? '' : `; its stderr ends: ${tail}`;
  }

  private trackPid(): void {
    const pid = Atomics.load(this.header, PID);
    if (pid > 0 && !this.closed) live.add(pid);
  }

  /** Kill the child and stop the worker; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const pid = Atomics.load(this.header, PID);
    if (pid > 0) {
      killQuietly(pid);
      live.delete(pid);
      this.awaitExit(2000);
    }
    void this.worker.terminate();
  }

  /** Wait (at most `ms`) until the worker has seen the child exit, so that it is reaped: a worker
   * stopped before that leaves a zombie behind for as long as grantcheck runs (a subject that
   * restarts, say, once per run). Lines still queued are let through unread. */
  private awaitExit(ms: number): void {
    const deadline = performance.now() + ms;
    for (;;) {
      const status = Atomics.load(this.header, STATUS);
      if (status === CLOSED) return;
      const left = deadline - performance.now();
      if (left <= 0) return;
      if (status !== WAITING) {
        Atomics.store(this.header, STATUS, WAITING);
        this.worker.postMessage({});
      }
      Atomics.wait(this.header, STATUS, WAITING, left);
    }
  }
}
