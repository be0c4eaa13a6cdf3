// The second half of `npm run build`: the command line bundled with esbuild into dist/cli/, which
// bin/grantcheck.js runs. tsc's dist/src/ stays the library (its API, types and source maps).
// Why a bundle? Start-up (issue 9): one file per command instead of ~250 modules, each resolved,
// read and compiled by node's ESM loader, was most of `grantcheck run --runs 1`'s CPU time.
// Each subcommand stays its own chunk (main.ts imports it lazily), so `--version` loads commander
// alone. The dependencies are bundled too: zod alone is ~100 files.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist', 'cli');

/** What the bundle holds besides grantcheck's own code: kept in every chunk's header. */
const NOTICE =
  '// grantcheck command line, bundled by esbuild from src/cli/main.ts with its dependencies\n' +
  '// commander, fast-check, pure-rand, zod and cli-progress with their own\n' +
  '// dependencies (each MIT licensed; their licence texts are in their packages, which npm\n' +
  '// installs as dependencies of grantcheck).';

/** commander is CommonJS and calls require('node:events') etc.: give ESM chunks a `require`. */
const REQUIRE_SHIM =
  "import { createRequire as __gcCreateRequire } from 'node:module';\n" +
  'const require = __gcCreateRequire(import.meta.url);';

/** A file of the bundle: where it goes and what it holds. */
export interface BundleFile {
  readonly path: string;
  readonly contents: Uint8Array;
}

/** The entries: bin/grantcheck.js imports main.js, src/cli/workers/pool.ts starts worker.js. */
const ENTRIES = new Set(['main.js', 'worker.js']);

/**
 * Write the bundle `files` (each directly in `dir`) into `dir` in place, not into an emptied
 * directory: a build may run while other processes run the command (test/package/package.test.ts
 * builds while other test files run bin/grantcheck.js). A file whose content is unchanged is not
 * written; a changed one is replaced whole (a rename), chunks before the entries that import
 * them; then the files of an earlier build go (chunk names carry a content hash: stale chunks
 * must not be packed).
 */
export function writeBundle(dir: string, files: readonly BundleFile[]): void {
  const entriesLast = [...files].sort(
    (a, b) => Number(ENTRIES.has(basename(a.path))) - Number(ENTRIES.has(basename(b.path))),
  );
  mkdirSync(dir, { recursive: true });
  for (const file of entriesLast) {
    if (existsSync(file.path) && readFileSync(file.path).equals(file.contents)) continue;
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
  const written = new Set(files.map((file) => basename(file.path)));
  for (const name of readdirSync(dir)) {
    if (!written.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** The command line's bundle from today's sources: the files of dist/cli/, not written. */
export async function cliBundle(): Promise<readonly BundleFile[]> {
  const { outputFiles } = await build({
    // The worker threads' entry (src/cli/workers/pool.ts starts dist/cli/worker.js) shares the
    // command's chunks.
    entryPoints: {
      main: join(root, 'src', 'cli', 'main.ts'),
      worker: join(root, 'src', 'cli', 'workers', 'entry.ts'),
    },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: `${NOTICE}\n${REQUIRE_SHIM}` },
    logLevel: 'warning',
    write: false,
  });
  return outputFiles;
}

/** Bundle the command line into dist/cli/ (written in place: writeBundle). */
export async function buildCliBundle(): Promise<void> {
  writeBundle(outdir, await cliBundle());
}

/** vitest's globalSetup, after the sequential twins: the tests that run the built command
 * (bin/grantcheck.js) run today's sources, not the bundle of the last `npm run build`. */
export async function setup(): Promise<void> {
  await buildCliBundle();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildCliBundle();
}
