// The subject wire protocol end to end: the built-in impl served over it passes the suites and
// the explorer's conformance, a fault served over it is caught, and every way a subject can
// break the protocol is one clear line (SubjectError), never a hang, with the child killed.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.ts';
import { explore } from '../../src/explore/index.ts';
import { runSuite } from '../../src/harness/random.ts';
import { SubjectError } from '../../src/subject/subject.ts';
import { SyncLineChannel } from '../../src/subject/wire/channel.ts';
import type { ClosableSubjectFactory, WireOptions } from '../../src/subject/wire/wireSubject.ts';
import { openWireSubject, PIPELINE_DEPTH } from '../../src/subject/wire/wireSubject.ts';
import { XenConformance, xenModel } from '../../src/xenExplore/index.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { buildSuite } from '../../properties/suites.ts';

const root = join(import.meta.dirname, '..', '..');
const server = `node --import tsx ${join(root, 'examples', 'impl-subject-server.ts')}`;
const misbehaving = (mode: string) =>
  `node ${join(root, 'test', 'fixtures', 'subjects', 'misbehaving.mjs')} ${mode}`;
const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };

const opened: ClosableSubjectFactory[] = [];
function open(command: string, options?: WireOptions): ClosableSubjectFactory {
  const f = openWireSubject(command, options);
  opened.push(f);
  return f;
}
afterAll(() => opened.forEach((f) => f.close()));

describe('the built-in impl over the wire', () => {
  it('passes the conformance suite, whole state compared', () => {
    const subject = open(server);
    expect(subject.observes).toHaveLength(9);
    const suite = buildSuite('conformance');
    if (!suite) throw new Error('no suite');
    const outcome = runSuite(suite, { seed: 7, runs: 40, subject });
    expect(outcome.kind).toBe('pass');
    expect(outcome.stats.ops).toBeGreaterThan(500);
  });
  it('agrees with the model on every transition of a small exhaustive search', () => {
    const subject = open(server);
    const model = xenModel({ domains: 1, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' });
    const c = new XenConformance(model, { ...checks, subject });
    const o = explore(model, { symmetry: true, onTransition: c.check });
    expect(o.kind).toBe('ok');
    expect(o.stats.states).toBe(1152);
    expect(c.stats().checked).toBeGreaterThan(1000);
    expect(c.stats().mismatches).toBe(0);
    // 25,506 transitions over the wire since swap joined the full alphabet: ~10 s idle, ~30 s
    // with both cores busy
  }, 180_000);
  it('a fault served over the wire is caught', () => {
    const subject = open(`${server} --fault end-access-ignores-writing`);
    const suite = buildSuite('conformance');
    if (!suite) throw new Error('no suite');
    const outcome = runSuite(suite, { seed: 5, runs: 200, subject });
    expect(outcome.kind).toBe('violation');
  });
});

describe('pipelining: a run sent ahead of its answers', () => {
  afterEach(() => vi.restoreAllMocks());
  /** Count the apply requests sent ahead (without waiting for an answer), those sent one at a
   * time, and the answers read only to be dropped. */
  function countApplies(): { ahead: number; waited: number; dropped: number } {
    const counts = { ahead: 0, waited: 0, dropped: 0 };
    const isApply = (line: unknown) => typeof line === 'string' && line.includes('"type":"apply"');
    const send = SyncLineChannel.prototype.send;
    const exchange = SyncLineChannel.prototype.exchange;
    vi.spyOn(SyncLineChannel.prototype, 'send').mockImplementation(function (
      this: SyncLineChannel,
      line,
    ) {
      if (isApply(line)) counts.ahead++;
      send.call(this, line);
    });
    vi.spyOn(SyncLineChannel.prototype, 'exchange').mockImplementation(function (
      this: SyncLineChannel,
      line,
      what,
      timeoutMs,
    ) {
      if (isApply(line)) counts.waited++;
      if (/not needed/.test(what)) counts.dropped++;
      return exchange.call(this, line, what, timeoutMs);
    });
    return counts;
  }
  const suite = buildSuite('conformance');
  if (!suite) throw new Error('no suite');

  it('a subject that says pipelining is sent every op of a run ahead, and the suite passes', () => {
    const counts = countApplies();
    const outcome = runSuite(suite, { seed: 11, runs: 30, subject: open(server) });
    expect(outcome.kind).toBe('pass');
    expect(counts.waited).toBe(0);
    expect(counts.ahead).toBe(outcome.stats.ops);
  });
  it('a subject that does not is sent one request at a time', () => {
    const counts = countApplies();
    const subject = open(`${server} --one-at-a-time`);
    const outcome = runSuite(suite, { seed: 11, runs: 30, subject });
    expect(outcome.kind).toBe('pass');
    expect(counts.ahead).toBe(0);
    expect(counts.waited).toBe(outcome.stats.ops);
  });
  it('a fault is found and shrunk to the same trace either way: the answers sent ahead of a failed check are dropped before the next run', () => {
    const find = (flags: string) => {
      const subject = open(`${server} --fault end-access-ignores-writing ${flags}`);
      return runSuite(suite, { seed: 5, runs: 200, subject });
    };
    const counts = countApplies();
    const piped = find('');
    // Runs that failed stopped early: requests sent ahead were never applied, their answers
    // dropped before the next reset.
    expect(counts.waited).toBe(0);
    expect(counts.dropped).toBeGreaterThan(0);
    const oneByOne = find('--one-at-a-time');
    expect(piped.kind).toBe('violation');
    if (piped.kind !== 'violation' || oneByOne.kind !== 'violation') throw new Error('not found');
    expect(piped.ops).toEqual(oneByOne.ops);
    expect(piped.violation).toEqual(oneByOne.violation);
    expect(piped.replay).toEqual(oneByOne.replay);
  });
  it('at most PIPELINE_DEPTH requests are in flight', () => {
    const subject = open(server);
    const instance = subject.create(DEFAULT_CONFIG);
    const counts = countApplies();
    const op = { kind: 'query_size', caller: 0, dom: 0 } as const;
    const ops = Array.from({ length: 3 * PIPELINE_DEPTH }, () => ({ ...op }));
    instance.announce?.(ops);
    expect(counts.ahead).toBe(PIPELINE_DEPTH);
    instance.apply(ops[0] ?? op);
    expect(counts.ahead).toBe(PIPELINE_DEPTH + 1);
    // An op other than the next announced one is the engine's bug, not the subject's.
    expect(() => instance.apply({ ...op })).toThrow(/not the next one announced/);
  });
});

/** The one line a broken subject produces. */
function failure(run: () => void): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(SubjectError);
    const message = (e as Error).message;
    expect([...message].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f')).toBe(false);
    expect(message.length).toBeLessThan(600);
    return message;
  }
  throw new Error('expected a SubjectError');
}

function drive(
  command: string,
  ops = 5,
  options: WireOptions = { timeoutMs: 1000, maxLineBytes: 2 ** 20 },
): void {
  const subject = open(command, options);
  const instance = subject.create(DEFAULT_CONFIG);
  for (let i = 0; i < ops; i++) {
    instance.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: false });
    if (subject.observes.length > 0) instance.state();
  }
}

describe('a subject that breaks the protocol', () => {
  it.each([
    ['not-json', /hello: not JSON: Unexpected token 'h'$/],
    ['deep', /hello: nested deeper than 16 levels at line 1, column 17$/],
    ['old-protocol', /hello\.protocol: 0, but this grantcheck speaks 1/],
    ['no-name', /hello: name: /],
    ['extra-key', /hello: .*colour/],
    ['huge', /a line of over 1048576 bytes \(waiting for hello\)/],
    ['refuse', /the answer to apply is an error: "not implemented"/],
    ['wrong-kind', /result\.kind: 'end_access' answers a grant_access/],
    ['missing-state', /state\.domains\.0\.entries: declared in the hello but missing/],
    ['crash', /exited with code 139 .*its stderr ends: segfault in grant_table\.c \(simulated\)/],
    ['hang', /no the answer to apply from the subject within 1 s/],
  ])('%s: one clear line', (mode, expected) => {
    expect(failure(() => drive(misbehaving(mode)))).toMatch(expected);
  });
  it('a subject that breaks in the middle of a suite ends it with the first error, not a later one', () => {
    const subject = open(misbehaving('crash'), { timeoutMs: 1000 });
    const suite = buildSuite('conformance');
    if (!suite) throw new Error('no suite');
    // fast-check would go on shrinking against the dead child: each later try fails with
    // "the subject is closed"; the suite reports the crash itself
    expect(failure(() => runSuite(suite, { seed: 1, runs: 5, subject }))).toMatch(
      /exited with code 139/,
    );
  });
  it('a silent subject is given up on at the start-up deadline, and killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantcheck-wire-'));
    const pidFile = join(dir, 'pid');
    const started = performance.now();
    const message = failure(() =>
      open(`sh -c 'echo $$ > ${pidFile}; exec sleep 60'`, { startTimeoutMs: 500 }),
    );
    expect(message).toMatch(/no hello from the subject within 0\.5 s/);
    expect(performance.now() - started).toBeLessThan(5000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // Killed: gone, or a zombie waiting to be reaped (SIGKILL lands within moments).
    const stat = `/proc/${pid}/stat`;
    const alive = () => existsSync(stat) && readFileSync(stat, 'utf8').split(' ')[2] !== 'Z';
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
  });
});
