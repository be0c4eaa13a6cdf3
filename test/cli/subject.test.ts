// `--subject`: run, explore, replay and exec drive an external subject over the wire protocol; a
// broken subject is exit 2 with one line, and --subject excludes --fault.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

const root = join(import.meta.dirname, '..', '..');
const server = `node --import tsx ${join(root, 'examples', 'impl-subject-server.ts')}`;

describe('grantcheck --subject', () => {
  it('run checks the served impl and says what it compared', async () => {
    const r = await cli(
      'run',
      '--subject',
      server,
      '--suite',
      'protocol',
      '--runs',
      '20',
      '--seed',
      '2',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('compared: impl over the wire: results, the whole state');
  });
  it('run says how often the subject asked to be started afresh, and why', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'grantcheck-growing-')), 'restarted');
    const growing = `node ${join(root, 'test', 'fixtures', 'subjects', 'growing.mjs')}`;
    const r = await cli(
      'run',
      '--subject',
      `${growing} restart-once ${marker}`,
      '--domains',
      '1',
      '--runs',
      '5',
      '--seed',
      '3',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('subject restarted 1× (last: reset 2 cannot shrink the table)');
  });
  it('explore --subject implies conformance', async () => {
    const r = await cli('explore', '--model', 'xen', '--domains', '1', '--subject', server);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/conformance {2}impl over the wire: results, the whole state/);
    expect(r.out).toMatch(/\d+ transitions applied to it, 0 mismatches/);
  });
  it('explore --kinds with a kind the subject lacks: exit 2, one line naming both', async () => {
    const growing = `node ${join(root, 'test', 'fixtures', 'subjects', 'growing.mjs')}`;
    const base = ['explore', '--model', 'xen', '--domains', '1', '--subject', growing];
    const r = await cli(...base, '--kinds', 'query_size,grant_access');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      "grantcheck: --kinds: the subject growing (ok) has no op kind 'grant_access' (it has setup_table, query_size)\n",
    );
    // kinds the preset names, not typed: the message names the preset
    const p = await cli(...base, '--preset', 'corners');
    expect(p.code).toBe(2);
    expect(p.err).toBe(
      "grantcheck: --preset corners: the subject growing (ok) has no op kind 'grant_access' (it has setup_table, query_size)\n",
    );
  });
  it('exec runs the ops against the subject, says what it compared, and saves the trace', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'grantcheck-exec-subject-')), 'run.json');
    const ops = ['grant_access(d1 ref=8 -> d0 gfn=0 rw)', 'map(d0: d1 ref=8 host|ro @0x1000)'];
    const r = await cli('exec', '--subject', server, ...ops, '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^compared: impl over the wire: results, the whole state\n/);
    expect(r.out).toMatch(/^ 2 +map\(d0: d1 ref=8 .*\[okay h=0 /m);
    expect(r.out).toMatch(/^result: PASSES$/m);
    const trace = JSON.parse(readFileSync(out, 'utf8')) as { steps: unknown[] };
    expect(trace.steps).toHaveLength(2);
    const json = await cli('exec', '--subject', server, ...ops, '--json');
    expect(JSON.parse(json.out)).toMatchObject({
      result: 'pass',
      compared: 'impl over the wire: results, the whole state',
    });
  });
  it("exec against a subject that answers otherwise: the model's and the subject's results, exit 1", async () => {
    const refusing = `node ${join(root, 'test', 'fixtures', 'subjects', 'misbehaving.mjs')}`;
    const r = await cli('exec', '--subject', refusing, 'grant_access(d1 ref=8 -> d0 gfn=0 rw)');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^>1 +grant_access\(d1 ref=8 -> d0 +ok +≠einval/m);
    expect(r.out).toContain('FAILED: result mismatch');
    expect(r.out).toMatch(/^result: FAILS$/m);
  });
  it('exec and replay refuse an op of a kind the subject lacks, before sending any', async () => {
    const growing = `node ${join(root, 'test', 'fixtures', 'subjects', 'growing.mjs')}`;
    const ops = ['query_size(d0: dom=self)', 'grant_access(d0 ref=8 -> d0 gfn=0 rw)'];
    const lacking =
      "the subject growing (ok) has no op kind 'grant_access' (it has setup_table, query_size)";
    const exec = await cli('exec', '--domains', '1', '--subject', growing, ...ops);
    expect(exec.code).toBe(2);
    expect(exec.out).toBe('');
    expect(exec.err).toBe(`grantcheck: op 2: ${lacking}\n`);
    // the same ops as a trace, written against the built-in impl
    const path = join(mkdtempSync(join(tmpdir(), 'grantcheck-lacking-')), 'two.json');
    expect((await cli('exec', '--domains', '1', ...ops, '--out', path)).code).toBe(0);
    const replay = await cli('replay', path, '--subject', growing);
    expect(replay.code).toBe(2);
    expect(replay.out).toBe('');
    expect(replay.err).toBe(`grantcheck: ${path}: step 2: ${lacking}\n`);
    // the subject names itself, and its name is printed in every report: no control characters
    const named = `node ${join(root, 'test', 'fixtures', 'subjects', 'misbehaving.mjs')} '\u001b[31mred'`;
    const refused = await cli('exec', '--subject', named, 'query_size(d0: dom=self)');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/: hello: name: control characters are not allowed\n$/);
  });
  it('replay --json against a subject says what it compared, as run and exec do', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'grantcheck-replay-json-')), 'one.json');
    const op = 'grant_access(d1 ref=8 -> d0 gfn=0 rw)';
    expect((await cli('exec', op, '--out', path)).code).toBe(0);
    const r = await cli('replay', path, '--subject', server, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      result: 'pass',
      matchesRecorded: true,
      compared: 'impl over the wire: results, the whole state',
    });
    const plain = await cli('replay', path, '--json');
    expect(JSON.parse(plain.out)).not.toHaveProperty('compared');
  });
  it('a subject that does not speak the protocol: exit 2, one line', async () => {
    const r = await cli('run', '--subject', 'echo hello', '--runs', '1');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'grantcheck: subject "echo hello": hello: not JSON: Unexpected token \'h\'\n',
    );
  });
  it.each([
    [
      ['run', '--subject', server, '--fault', 'maptrack-lifo'],
      '--fault and --subject exclude each other',
    ],
    [['run', '--subject', '  '], '--subject: the command is empty'],
    [
      ['exec', '--subject', server, '--fault', 'maptrack-lifo', 'query_size(d0: dom=self)'],
      '--fault and --subject exclude each other',
    ],
  ])('%j: exit 2', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});
