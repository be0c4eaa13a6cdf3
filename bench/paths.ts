// Where the bench finds the package and its built command: the same from bench/ (under tsx) and
// from dist/bench/bench/ (compiled, as `npm run bench` runs it).

import { join } from 'node:path';
import { packageRoot } from '../src/packageRoot.ts';

/** The package's root: where the bench's spawned commands run. */
export const ROOT = packageRoot(import.meta.dirname);

/** The built command, as a user's `npx grantcheck` starts it. */
export const BIN = join(ROOT, 'bin', 'grantcheck.js');
