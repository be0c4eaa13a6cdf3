// Where grantcheck's own files are (the Xen agent's source, for one), found from any form the
// code runs in.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root: the nearest directory above `from` (by default this module's) with
 * grantcheck's package.json. The same answer from the sources, from tsc's output under dist/
 * and from the bundled dist/cli/. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'grantcheck') return dir;
    } catch {
      // not here
    }
    if (dirname(dir) === dir) return from;
  }
}
