// `--subject`: run, explore and replay drive an external subject over the wire protocol; a
// broken subject is exit 2 with one line, and --subject excludes --fault.
import { mkdtempSync } from 'node:fs';
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
  ])('%j: exit 2', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});
