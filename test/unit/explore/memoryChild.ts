// Run by bounds.test.ts in a fresh process (its own RSS): one search of SEARCHES under an RSS
// bound of its starting RSS plus N MiB; prints the outcome and the kernel's peak RSS as JSON.
//   node --import tsx test/unit/explore/memoryChild.ts <search> <MiB>

import type { SearchName } from './searches.ts';
import { SEARCHES } from './searches.ts';

const [name, extra] = process.argv.slice(2);
if (!name || !(name in SEARCHES) || !extra) throw new Error('usage: memoryChild <search> <MiB>');
const search = SEARCHES[name as SearchName]();
const startRss = process.memoryUsage.rss();
const bound = startRss + Number(extra) * 2 ** 20;
// The time budget only turns a failure into a clear assertion instead of a hung test.
const o = search({ maxMemoryBytes: bound, timeBudgetMs: 30_000 });
const rssAfter = process.memoryUsage.rss();
process.stdout.write(
  `${JSON.stringify({
    kind: o.kind,
    bound: o.kind === 'limit' ? o.bound : undefined,
    memory: o.kind === 'limit' ? o.memory : undefined,
    states: o.stats.states,
    elapsedMs: o.stats.elapsedMs,
    startRss,
    boundBytes: bound,
    peakSampledRss: o.stats.peakRssBytes,
    rssAfter,
    // ru_maxrss: the true peak, between samples too (KiB).
    maxRss: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
