// Start-up (issue 9): what the CLI loads before it does any work. The import graph is esbuild's
// (the bundler of dist/cli/), following static imports only: a dynamic import is loaded when its
// command or branch runs. The figures themselves are `npm run bench`'s, never a timed test.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, GrantConfigSchema } from '../../src/config.ts';
import { VERSION } from '../../src/version.ts';
import { cli } from '../support/cli.ts';

const root = join(import.meta.dirname, '..', '..');

/** Every file `entry` loads before its first line runs (static imports, followed through). */
async function staticClosure(entry: string): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    outdir: join(root, 'dist', 'unused'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const seen = new Set([entry]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const i of metafile.inputs[file]?.imports ?? []) {
      if (i.kind === 'import-statement' && !i.external && !seen.has(i.path)) {
        seen.add(i.path);
        queue.push(i.path);
      }
    }
  }
  // node_modules may be a link outside the repository: keep the part from node_modules/ on.
  return [...seen].map((f) => f.replace(/^.*?(node_modules\/)/, '$1')).sort();
}

const pkg = (name: string) => (f: string) => f.startsWith(`node_modules/${name}/`);
const under = (dir: string) => (f: string) => f.startsWith(dir);

describe('what each command line loads', () => {
  it('--version: a few small modules of the CLI, not even commander (--help loads it)', async () => {
    const files = await staticClosure('src/cli/main.ts');
    for (const heavy of [pkg('commander'), pkg('zod'), pkg('fast-check'), under('src/model/')]) {
      expect(files.filter(heavy)).toEqual([]);
    }
    expect(files.filter(under('src/impl/'))).toEqual([]);
    expect(files.length).toBeLessThanOrEqual(8);
  });

  it('run without --subject: no zod, trace format, wire protocol, explorer or core model', async () => {
    const files = await staticClosure('src/cli/commands/run.ts');
    expect(files).toContain('src/harness/random.ts'); // the closure is real: what run runs
    for (const heavy of [
      pkg('zod'),
      under('src/config.ts'),
      under('src/trace/'),
      under('src/input/'),
      under('src/subject/wire/'),
      under('src/explore/'),
      under('src/xenExplore/'),
      under('src/core/'),
      under('src/refinement/'),
    ]) {
      expect(files.filter(heavy)).toEqual([]);
    }
  });

  it('explore (the core model): the core and the explorer, none of the Xen-level path', async () => {
    const files = await staticClosure('src/cli/commands/explore.ts');
    expect(files).toContain('src/core/step.ts'); // the closure is real: what the core search runs
    expect(files).toContain('src/explore/bfs.ts');
    for (const heavy of [
      pkg('zod'),
      pkg('fast-check'),
      under('src/core/trace.ts'),
      under('src/trace/'),
      under('src/model/'),
      under('src/impl/'),
      under('src/faults/'),
      under('src/harness/'),
      under('src/xenExplore/'),
      under('src/refinement/'),
      under('src/subject/wire/'),
      under('properties/'),
    ]) {
      expect(files.filter(heavy)).toEqual([]);
    }
  });
});

describe('--version before commander', () => {
  it("prints the line commander's --version prints, exit 0", async () => {
    // Two flags take the commander path; one takes the early answer.
    for (const argv of [['--version'], ['-V'], ['--version', '--version']]) {
      expect(await cli(...argv)).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    }
  });
});

describe('run without zod still checks and reports as before', () => {
  it("--domains takes exactly the schema's range (run no longer parses the config)", async () => {
    for (const domains of [0, 1, 16, 17]) {
      const schemaOk = GrantConfigSchema.safeParse({ ...DEFAULT_CONFIG, domains }).success;
      const r = await cli(
        'run',
        '--suite',
        'protocol',
        '--runs',
        '1',
        '--seed',
        '1',
        '--domains',
        `${domains}`,
      );
      expect(r.code, `--domains ${domains}: ${r.err}`).toBe(schemaOk ? 0 : 2);
    }
  });

  it('a violation loads the trace modules then: printed, replayed, written, exit 1', async () => {
    const out = mkdtempSync(join(tmpdir(), 'grantcheck-startup-'));
    try {
      const r = await cli('run', '--fault', 'maptrack-lifo', '--seed', '1', '--out', out);
      expect(r.err).toBe('');
      expect(r.code).toBe(1);
      expect(r.out).toContain('result   VIOLATION');
      // The trace and its viewer page (src/view) beside it.
      expect(readdirSync(out).sort()).toEqual([
        'conformance-seed1-maptrack-lifo.html',
        'conformance-seed1-maptrack-lifo.json',
      ]);
      expect((await cli('replay', join(out, 'conformance-seed1-maptrack-lifo.json'))).code).toBe(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('--subject: the external subject stays open until the (now async) run has replayed', async () => {
    const server = `node --import tsx ${join(root, 'examples', 'impl-subject-server.ts')} --fault maptrack-lifo`;
    const out = mkdtempSync(join(tmpdir(), 'grantcheck-startup-'));
    try {
      const r = await cli(
        'run',
        '--subject',
        server,
        '--suite',
        'conformance',
        '--seed',
        '1',
        '--out',
        out,
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(1);
      expect(r.out).toContain('result   VIOLATION');
      expect(r.out).toContain('trace written:');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
