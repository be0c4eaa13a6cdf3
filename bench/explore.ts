// Throughput of the exhaustive explorer on the core protocol model: states/s and bytes per
// stored state, with and without domain symmetry. `npx tsx bench/explore.ts` prints the table.

import { pathToFileURL } from 'node:url';
import type { CoreConfig } from '../src/core/config.ts';
import { coreModel, coreModelName } from '../src/core/model.ts';
import { explore } from '../src/explore/bfs.ts';

const CONFIGS: readonly CoreConfig[] = [
  { domains: 2, refs: 2, frames: 2, maxPin: 1 },
  { domains: 2, refs: 2, frames: 3, maxPin: 2 },
  { domains: 2, refs: 2, frames: 4, maxPin: 2 },
];

export async function benchExplore(
  configs: readonly CoreConfig[] = CONFIGS,
): Promise<Record<string, number | string>[]> {
  // Why a warm-up? The first config is small enough that JIT compilation would dominate it.
  explore(coreModel({ domains: 2, refs: 2, frames: 3, maxPin: 1 }));
  const rows: Record<string, number | string>[] = [];
  for (const config of configs) {
    for (const symmetry of [false, true]) {
      const o = explore(coreModel(config), { symmetry });
      const s = o.stats;
      rows.push({
        model: coreModelName(config),
        symmetry: symmetry ? 'domains' : 'none',
        result: o.kind === 'limit' ? `limit (${o.bound})` : o.kind,
        states: s.states,
        transitions: s.transitions,
        maxDepth: s.maxDepth,
        seconds: Number((s.elapsedMs / 1000).toFixed(2)),
        statesPerSec: Math.round(s.statesPerSec),
        bytesPerState: Number(s.bytesPerState.toFixed(1)),
        peakHeapMiB: Number((s.peakHeapBytes / 2 ** 20).toFixed(1)),
      });
      // Why yield? Lets a caller's progress output flush between runs.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchExplore());
}
