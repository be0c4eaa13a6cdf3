// The HTML page (src/view) beside every trace a command writes (issue 15 §1): run, faults,
// explore (Xen-level traces; the viewer draws no core trace) and interleave write it, print its
// path, and --json names it next to the trace.
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'grantcheck-pages-'));
}

/** The page exists, is HTML, and sits beside its trace with the same name. */
function expectPage(view: unknown, trace: unknown): void {
  expect(typeof view).toBe('string');
  expect(view).toBe(String(trace).replace(/\.json$/, '.html'));
  expect(existsSync(String(trace))).toBe(true);
  expect(readFileSync(String(view), 'utf8')).toMatch(/^<!doctype html>/i);
}

const FAULT = ['--fault', 'end-access-ignores-writing'];

describe('--json names the page beside the trace', () => {
  it('run', async () => {
    const out = tmp();
    const argv = ['run', '--suite', 'conformance', ...FAULT, '--seed', '5', '--no-failures'];
    const r = await cli(...argv, '--out', out, '--json');
    expect(r.code).toBe(1);
    const [suite] = (JSON.parse(r.out) as { suites: Record<string, unknown>[] }).suites;
    expectPage(suite?.['view'], suite?.['trace']);
  }, 60_000);

  it('faults: a sequential fault and a race fault', async () => {
    const out = tmp();
    const r = await cli(
      'faults',
      '--only',
      'end-access-ignores-writing,end-access-non-atomic',
      '--explore-time',
      '0',
      '--out',
      out,
      '--json',
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as {
      faults: Record<string, unknown>[];
      races: Record<string, unknown>[];
    };
    expectPage(json.faults[0]?.['view'], json.faults[0]?.['trace']);
    expectPage(json.races[0]?.['view'], json.races[0]?.['trace']);
  }, 120_000);
});

describe('explore and interleave write the page and print its path', () => {
  it('explore --model xen: text and --json', async () => {
    const argv = ['explore', '--model', 'xen', '--preset', 'corners'];
    const fault = ['--fault', 'xsa-385-transfer-past-max-pages'];
    const out = tmp();
    const r = await cli(...argv, ...fault, '--out', out);
    expect(r.code).toBe(1);
    const trace = join(
      out,
      'explore-xen-D2R1P1M0-protocol-corners-xsa-385-transfer-past-max-pages.json',
    );
    const view = trace.replace(/\.json$/, '.html');
    expect(r.out).toContain(`view:          ${view}`);
    expectPage(view, trace);
    const j = await cli(...argv, ...fault, '--out', tmp(), '--json');
    const json = JSON.parse(j.out) as Record<string, unknown>;
    expectPage(json['view'], json['trace']);
  }, 120_000);

  it('explore --model core writes its trace and no page', async () => {
    const out = tmp();
    const r = await cli('explore', '--variant', 'end-access-ignores-mappings', '--out', out);
    expect(r.code).toBe(1);
    expect(readdirSync(out)).toEqual(['explore-core-D2R2F3M2-end-access-ignores-mappings.json']);
    expect(r.out).not.toContain('view:');
    const j = await cli(
      'explore',
      '--variant',
      'end-access-ignores-mappings',
      '--out',
      out,
      '--json',
    );
    expect(JSON.parse(j.out)).not.toHaveProperty('view');
  });

  it('interleave: text and --json', async () => {
    const argv = ['interleave', '--fault', 'end-access-non-atomic', '--mode', 'exhaustive'];
    const out = tmp();
    const r = await cli(...argv, '--out', out);
    expect(r.code).toBe(1);
    const trace = join(out, 'interleave-exhaustive-end-access-non-atomic.json');
    const view = trace.replace(/\.json$/, '.html');
    expect(r.out).toContain(`view:          ${view}`);
    expectPage(view, trace);
    const j = await cli(...argv, '--out', tmp(), '--json');
    const json = JSON.parse(j.out) as Record<string, unknown>;
    expectPage(json['view'], json['trace']);
  }, 120_000);
});
