// A subject that cannot undo everything a run did (real Xen's grant table only grows; its
// maptrack keeps its frames) says where it starts in `ready`, and the model starts there; one
// that cannot return to any state the model can start from answers `restart`, and grantcheck
// starts its process afresh.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config.ts';
import { runOps } from '../../src/harness/run.ts';
import type { Op } from '../../src/ops/op.ts';
import { SubjectError } from '../../src/subject/subject.ts';
import type { ClosableSubjectFactory } from '../../src/subject/wire/wireSubject.ts';
import { openWireSubject } from '../../src/subject/wire/wireSubject.ts';
import { XenConformance, xenModel } from '../../src/xenExplore/index.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'subjects', 'growing.mjs');
const config = makeConfig({ domains: 1, maxGrantFrames: 8 });
const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };
const opened: ClosableSubjectFactory[] = [];
function open(...args: string[]): ClosableSubjectFactory {
  const f = openWireSubject(`node ${fixture} ${args.join(' ')}`);
  opened.push(f);
  return f;
}
afterAll(() => opened.forEach((f) => f.close()));

/** This process's children that have exited and were never reaped. */
function zombieChildren(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return state === 'Z' && Number(ppid) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `act` throws a SubjectError of one line that matches `pattern`. */
function expectOneLineSubjectError(act: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    act();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SubjectError);
  expect(String(error)).toMatch(pattern);
  expect(String(error)).not.toContain('\n');
}

const grow: Op = { kind: 'setup_table', caller: 0, dom: 0, nrFrames: 3 };
const query: Op = { kind: 'query_size', caller: 0, dom: 0 };
const run = (subject: ClosableSubjectFactory, ops: Op[]) =>
  runOps(config, ops, { ...checks, subject });

describe('a subject that starts elsewhere', () => {
  it('the model starts from the state `ready` reports, so both agree after a grown table', () => {
    const subject = open('ok');
    expect(run(subject, [grow, query]).failure).toBeNull();
    const second = run(subject, [query]);
    expect(second.failure).toBeNull();
    expect(second.initialState.domains[0]?.grantTable.nrFrames).toBe(3);
    expect(second.steps[0]?.modelResult).toEqual({
      kind: 'query_size',
      status: 0,
      nrFrames: 3,
      maxNrFrames: 8,
    });
  });

  it('without the start state the grown table is a mismatch at the start (what the mechanism prevents)', () => {
    const subject = open('no-start-state');
    expect(run(subject, [grow]).failure).toBeNull();
    expect(run(subject, [query]).failure?.violation.check).toBe('state-mismatch');
  });

  it('a restart starts the process afresh, reset again, and the reason is kept', () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'grantcheck-growing-')), 'restarted');
    const subject = open('restart-once', marker);
    expect(run(subject, [grow]).failure).toBeNull();
    const fresh = run(subject, [query]);
    expect(fresh.failure).toBeNull();
    expect(fresh.initialState.domains[0]?.grantTable.nrFrames).toBe(1);
    expect(subject.restarts()).toEqual(['reset 2 cannot shrink the table']);
    // the first process was reaped, not left a zombie for as long as grantcheck runs
    expect(zombieChildren()).toEqual([]);
  });

  it('a subject that asks for a restart right after one is one line, exit 2', () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'grantcheck-growing-')), 'restarted');
    const subject = open('restart-always', marker);
    expect(run(subject, [grow]).failure).toBeNull();
    expectOneLineSubjectError(
      () => run(subject, [query]),
      /asked for a restart again right after one/,
    );
  });

  it('a start state must hold every declared part', () => {
    const subject = open('start-missing-part');
    expect(() => run(subject, [query])).toThrow(
      /the answer to reset: state\.domains\.0\.grantFrames: declared in the hello but missing/,
    );
  });

  it('a start state within no config is one line, not an allocation of its size', () => {
    const subject = open('start-huge-maptrack');
    expectOneLineSubjectError(() => run(subject, [query]), /state\.domains\.0\.maptrack\.limit/);
  });

  it('the explorer refuses a subject that starts elsewhere, in one line', () => {
    const subject = open('ok');
    expect(run(subject, [grow]).failure).toBeNull();
    const model = xenModel({ domains: 1, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' });
    expect(() => new XenConformance(model, { ...checks, subject })).toThrow(
      /starts from a state other than the config's initial one/,
    );
  });
});
