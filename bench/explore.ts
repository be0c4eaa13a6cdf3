// Throughput of the exhaustive explorer: the core protocol model with and without domain
// symmetry, and the Xen-level model alone, in conformance mode and with the refinement check, and
// the first 100 000 states of its full alphabet, the whole of its `basic` preset (issue 13's
// 291 056 states; as the built command runs it, in one thread and split by claims over the
// cores; in conformance mode for at most a minute in one thread, and split over the cores by
// the built command's --workers), and its full alphabet at three
// configurations to the depths the tests pin. Each row names the `kind` bench/targets.ts judges it
// as.
// States/s and bytes per stored state. `npx tsx bench/explore.ts` prints the table.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CoreConfig } from '../src/core/config.ts';
import { coreModel, coreModelName } from '../src/core/model.ts';
import { explore } from '../src/explore/bfs.ts';
import type { ExploreOutcome } from '../src/explore/outcome.ts';
import { RefinementCheck } from '../src/refinement/index.ts';
import type { ConformanceStats, XenBounds } from '../src/xenExplore/index.ts';
import { XenConformance, xenModel, xenPresetModel } from '../src/xenExplore/index.ts';
import { INVARIANTS } from '../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../properties/invariants/stepProperties.ts';
import { isolated } from './isolated.ts';
import { BIN, ROOT } from './paths.ts';
import { timedNodeRuns } from './spin/run.ts';
import type { ExploreKind } from './targets.ts';

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
      rows.push(row('core', coreModelName(config), symmetry ? 'domains' : 'none', o));
      // Why yield? Lets a caller's progress output flush between runs.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  rows.push(...benchCoreSplit());
  // The Xen-level sections each in a fresh isolate (./isolated.ts says why).
  rows.push(...(await isolated('xen')));
  rows.push(...(await isolated('xenFull')));
  rows.push(...(await isolated('xenBasic')));
  rows.push(benchXenBasicCommand());
  rows.push(benchXenBasicCommand(3, Math.max(2, availableParallelism())));
  rows.push(...(await isolated('xenDepths')));
  rows.push(...(await isolated('xenBasicConformance')));
  rows.push(benchXenBasicConformanceWorkers());
  return rows;
}

const XEN: XenBounds = { domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' };

/**
 * The outcome of `search`'s median run by time, out of `runs` (each with a fresh model: no
 * memo, packer or tables carried over), and `runs` for its row. Why not one run? A search of
 * under a second or two is at the mercy of the JIT and of the machine: the protocol row, warmed
 * once, took 195, 171, 140, then 122 ms on the runs after; the depth rows moved by a quarter
 * between runs of one process. The median keeps one slow run (or one lucky one) out.
 */
function medianRun<S, A>(
  runs: number,
  search: () => ExploreOutcome<S, A>,
): [ExploreOutcome<S, A>, { runs: number }] {
  const outcomes = Array.from({ length: runs }, search);
  outcomes.sort((a, b) => a.stats.elapsedMs - b.stats.elapsedMs);
  const mid = outcomes[outcomes.length >> 1];
  if (mid === undefined) throw new RangeError('bench: a median of no runs');
  return [mid, { runs }];
}

function row<S, A>(
  kind: ExploreKind,
  name: string,
  mode: string,
  o: ExploreOutcome<S, A>,
  extra: Record<string, number | string> = {},
): Record<string, number | string> {
  const s = o.stats;
  return {
    kind,
    model: name,
    symmetry: mode,
    result: o.kind === 'limit' ? `limit (${o.bound})` : o.kind,
    states: s.states,
    transitions: s.transitions,
    maxDepth: s.maxDepth,
    seconds: Number((s.elapsedMs / 1000).toFixed(2)),
    statesPerSec: Math.round(s.statesPerSec),
    bytesPerState: Number(s.bytesPerState.toFixed(1)),
    peakHeapMiB: Number((s.peakHeapBytes / 2 ** 20).toFixed(1)),
    ...extra,
  };
}

/** The full alphabet at D2 R1 P1 M1, cut at its first 100 000 states: the whole space (millions
 * of states, docs/explore.md) does not fit a bench run. With the quotients, as the CLI searches
 * it (src/xenExplore/quotients.ts). */
export function benchXenFull(maxStates = 100_000): Record<string, number | string> {
  const full = () =>
    xenModel(
      { domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' },
      { invariants: INVARIANTS, quotients: true },
    );
  const model = full();
  const [o, runs] = medianRun(3, () => explore(full(), { symmetry: true, maxStates }));
  return row('xen', `${model.name} first ${maxStates}`, 'handles+quotients', o, runs);
}

/** The `basic` preset whole (the full alphabet without swaps and the PTE surface: issue 13's
 * "full alphabet at D2 R1 P1 M1, 291 056 states"): keyed exactly as issue 13 counted it, then
 * with the quotients, as `grantcheck explore --model xen --preset basic` searches it (131 521
 * orbits covering the same states, docs/explore.md). */
export function benchXenBasic(): Record<string, number | string>[] {
  return [false, true].map((quotients) => {
    const basic = () => xenPresetModel('basic', { invariants: INVARIANTS, quotients });
    const [o, runs] = medianRun(3, () => explore(basic(), { symmetry: true }));
    const mode = quotients ? 'handles+quotients' : 'handles';
    return row('xen basic', `${basic().name} basic preset, whole`, mode, o, runs);
  });
}

/** The `basic` preset whole in conformance mode (issue 13: under 30 s), as `grantcheck explore
 * --model xen --preset basic --conformance` searches it: keyed exactly, every transition applied
 * to the impl. Stopped after `budgetSeconds`: then its seconds are a lower bound (the
 * whole took minutes on this machine, docs/explore.md), and the row says so. */
export function benchXenBasicConformance(budgetSeconds = 60): Record<string, number | string> {
  const model = xenPresetModel('basic', { invariants: INVARIANTS, quotients: false });
  const c = new XenConformance(model, { invariants: INVARIANTS, properties: STEP_PROPERTIES });
  const o = explore(model, {
    symmetry: true,
    onTransition: c.check,
    timeBudgetMs: budgetSeconds * 1000,
  });
  c.close();
  return row('xen basic conformance', `${model.name} basic preset +conformance`, 'handles', o, {
    mismatches: c.stats().mismatches,
  });
}

/** The same search as the built command splits it: `grantcheck explore --model xen --preset
 * basic --conformance --workers N`, N the machine's cores, each worker running the whole search
 * and checking every Nth parent's transitions (src/cli/workers/exploreShards.ts). Stopped after
 * `budgetSeconds` (exit 4: its seconds a lower bound, as above). */
export function benchXenBasicConformanceWorkers(
  budgetSeconds = 150,
  workers = availableParallelism(),
): Record<string, number | string> {
  const model = `grantcheck explore --preset basic --conformance --workers ${workers} (built)`;
  if (!existsSync(join(ROOT, 'dist', 'cli'))) {
    return { kind: 'xen basic conformance', model, result: 'not built: npm run build' };
  }
  const args = [BIN, 'explore', '--model', 'xen', '--preset', 'basic', '--conformance'];
  args.push('--workers', String(workers), '--time-budget', String(budgetSeconds), '--json');
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 4) {
    throw new Error(`grantcheck ${args.slice(1).join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  const out = JSON.parse(r.stdout) as {
    result: string;
    bound?: string;
    states: number;
    transitions: number;
    maxDepth: number;
    elapsedMs: number;
    statesPerSecond: number;
    bytesPerState: number;
    peakMemoryBytes: number;
    conformance: { mismatches: number };
  };
  return {
    kind: 'xen basic conformance',
    model,
    symmetry: 'handles',
    result: out.result === 'limit' ? `limit (${out.bound ?? ''})` : out.result,
    states: out.states,
    transitions: out.transitions,
    maxDepth: out.maxDepth,
    seconds: Number((out.elapsedMs / 1000).toFixed(2)),
    statesPerSec: out.statesPerSecond,
    bytesPerState: out.bytesPerState,
    peakHeapMiB: Number((out.peakMemoryBytes / 2 ** 20).toFixed(1)),
    mismatches: out.conformance.mismatches,
  };
}

/** The `basic` preset whole as a user runs it: the built command, `grantcheck explore --model
 * xen --preset basic --json`, spawned `runs` times (after a warm-up of the file cache); the
 * median whole-process wall time, the mean CPU time, and the search's own seconds as the
 * command reports them. Why beside the in-process row? That one times the search alone, in the
 * bench's process; this is the bundle a user's `npx grantcheck` starts, start-up included. With
 * `workers` above 1, the search split by claims over that many threads
 * (src/explore/claimed.ts). */
export function benchXenBasicCommand(runs = 3, workers = 1): Record<string, number | string> {
  const split = workers > 1 ? ` --workers ${workers}` : '';
  const model = `grantcheck explore --model xen --preset basic${split} (built, whole process)`;
  // `npm run bench` builds first (bench/startup.ts); `npx tsx bench/explore.ts` alone may not.
  if (!existsSync(join(ROOT, 'dist', 'cli'))) {
    return { kind: 'xen basic command', model, result: 'not built: npm run build' };
  }
  const args = [BIN, 'explore', '--model', 'xen', '--preset', 'basic', '--json'];
  if (workers > 1) args.push('--workers', String(workers));
  const t = timedNodeRuns(args, ROOT, runs);
  const outs = t.stdouts.map((o) => JSON.parse(o) as { states: number; elapsedMs: number });
  const search = outs.map((o) => o.elapsedMs).sort((a, b) => a - b);
  const states = outs[0]?.states ?? NaN;
  const cpuMs = t.meanCpuMs;
  return {
    kind: 'xen basic command',
    model,
    symmetry: 'handles+quotients',
    result: `median of ${runs}`,
    states,
    seconds: Number((t.medianWallMs / 1000).toFixed(2)),
    'search s': Number(((search[search.length >> 1] ?? NaN) / 1000).toFixed(2)),
    'cpu s (mean)': Number.isNaN(cpuMs) ? 'n/a' : Number((cpuMs / 1000).toFixed(2)),
  };
}

/**
 * The core search split by state over the machine's cores (src/explore/partition.ts) against
 * one thread: the built command, `grantcheck explore --model core --domains 2 --refs 2 --frames
 * 3 --max-pin 2 --json --workers N`, `runs` times each way; the median whole-process wall time
 * and the mean CPU time. The split's routing and its workers' start-up cost CPU; on two cores
 * the wall time is what it buys.
 */
export function benchCoreSplit(
  runs = 3,
  workers = availableParallelism(),
): Record<string, number | string>[] {
  const config = { domains: 2, refs: 2, frames: 3, maxPin: 2 };
  const name = (n: number) => `grantcheck explore ${coreModelName(config)} --workers ${n} (built)`;
  if (!existsSync(join(ROOT, 'dist', 'cli'))) {
    return [{ kind: 'core command', model: name(workers), result: 'not built: npm run build' }];
  }
  const flags = ['--domains', '2', '--refs', '2', '--frames', '3', '--max-pin', '2', '--json'];
  return [1, Math.max(2, workers)].map((n) => {
    const args = [BIN, 'explore', '--model', 'core', ...flags, '--workers', String(n)];
    const t = timedNodeRuns(args, ROOT, runs);
    const out = JSON.parse(t.stdouts[0] ?? '{}') as { result?: string; states?: number };
    const seconds = t.medianWallMs / 1000;
    return {
      kind: 'core command',
      model: name(n),
      symmetry: 'none',
      result: `${out.result ?? '?'}, median of ${runs}`,
      states: out.states ?? NaN,
      seconds: Number(seconds.toFixed(2)),
      statesPerSec: Math.round((out.states ?? NaN) / seconds),
      'cpu s (mean)': Number((t.meanCpuMs / 1000).toFixed(2)),
    };
  });
}

/** The full alphabet at issue 13's three configurations, to the depths the tests pin
 * (test/unit/xenExplore/model.test.ts): their whole spaces do not fit a bench run. Then D3 a
 * level deeper, as `grantcheck explore --model xen --domains 3 --alphabet full` searches it: with
 * domain-id symmetry too (src/xenExplore/domainSymmetry.ts; the rows before keep their keys, so
 * that their figures compare with earlier sessions'). */
export function benchXenDepths(): Record<string, number | string>[] {
  const cases: [number, number, number, boolean][] = [
    [2, 1, 5, false],
    [2, 2, 4, false],
    [3, 1, 3, false],
    [3, 1, 4, true],
  ];
  return cases.map(([domains, refs, maxDepth, domainSymmetry]) => {
    const full = () =>
      xenModel(
        { domains, refs, pages: 1, maxPin: 1, alphabet: 'full' },
        { invariants: INVARIANTS, quotients: true, domainSymmetry },
      );
    const [o, runs] = medianRun(5, () => explore(full(), { symmetry: true, maxDepth }));
    const mode = domainSymmetry ? 'handles+quotients+domains' : 'handles+quotients';
    return row('xen', `${full().name} to depth ${maxDepth}`, mode, o, runs);
  });
}

/** The Xen-level model on a small config: alone, with conformance, with refinement. */
export function benchXen(bounds: XenBounds = XEN): Record<string, number | string>[] {
  const rows: Record<string, number | string>[] = [];
  // Why a warm-up? Cold, this row is mostly JIT compilation of the model's step, keys and
  // invariants (1.1 to 1.4 s of CPU against 0.44 s warm, docs/explore.md), not search.
  explore(xenModel(bounds, { invariants: INVARIANTS }), { symmetry: true });
  const model = xenModel(bounds, { invariants: INVARIANTS });
  const [alone, aloneRuns] = medianRun(5, () =>
    explore(xenModel(bounds, { invariants: INVARIANTS }), { symmetry: true }),
  );
  rows.push(row('xen', model.name, 'handles', alone, aloneRuns));
  // Why a warm-up? The impl, the harness's checks and the invariants run here for the first
  // time in the bench: without one, JIT compilation is a fifth of the row.
  const warm = new XenConformance(model, { invariants: INVARIANTS, properties: STEP_PROPERTIES });
  explore(model, { symmetry: true, onTransition: warm.check, maxStates: 1_500 });
  warm.close();
  let stats: ConformanceStats | undefined;
  const [o, runs] = medianRun(3, () => {
    const fresh = xenModel(bounds, { invariants: INVARIANTS });
    const c = new XenConformance(fresh, { invariants: INVARIANTS, properties: STEP_PROPERTIES });
    const searched = explore(fresh, { symmetry: true, onTransition: c.check });
    c.close();
    const cs = c.stats();
    // The runs search alike (the snapshots too); a mismatch in any of them is the row's.
    if (stats === undefined || cs.mismatches > stats.mismatches) stats = cs;
    return searched;
  });
  rows.push(
    row('xen conformance', `${model.name} +conformance`, 'handles', o, {
      ...runs,
      mismatches: stats?.mismatches ?? NaN,
      snapshotMiB: Number(((stats?.peakSnapshotBytes ?? NaN) / 2 ** 20).toFixed(1)),
    }),
  );
  const [refined, refinedRuns] = medianRun(5, () => {
    const fresh = xenModel(bounds, { invariants: INVARIANTS });
    return explore(fresh, { symmetry: true, onTransition: new RefinementCheck(fresh).check });
  });
  rows.push(row('xen refinement', `${model.name} +refinement`, 'handles', refined, refinedRuns));
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchExplore());
}
