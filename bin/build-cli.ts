// The second half of `npm run build`: the command line bundled with esbuild into dist/cli/, which
// bin/grantcheck.js runs. tsc's dist/src/ stays the library (its API, types and source maps).
// Why a bundle? Start-up (issue 9): one file per command instead of ~250 modules, each resolved,
// read and compiled by node's ESM loader, was most of `grantcheck run --runs 1`'s CPU time.
// Each subcommand stays its own chunk (main.ts imports it lazily), so `--version` loads commander
// alone. The dependencies are bundled too: zod alone is ~100 files.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
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

// Chunk names carry a content hash: stale chunks of an earlier build must not be packed.
rmSync(outdir, { recursive: true, force: true });
await build({
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
});
