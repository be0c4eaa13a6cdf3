// How a suite's runs (or the fault catalogue) are split: `--shard i/n` across machines, then
// blocks of consecutive runs across worker threads. Pure, so that the split is the same on every
// machine and the union of the shards is the whole suite.

import { availableParallelism } from 'node:os';
import { UsageError } from '../options.ts';

/** Shard `index` (1-based, as vitest numbers them) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** A half-open range of run indices (or catalogue positions): `start` ≤ i < `end`. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

/** `--shard i/n`, 1 ≤ i ≤ n ≤ 10000; undefined when absent. */
export function parseShard(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  const m = /^([0-9]+)\/([0-9]+)$/.exec(value);
  if (!m) throw new UsageError(`--shard: '${value}' is not i/n (e.g. 1/4)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 10_000)
    throw new UsageError(`--shard: n = ${count} is outside 1..10000`);
  if (index < 1 || index > count)
    throw new UsageError(`--shard: i = ${index} is outside 1..${count}`);
  return { index, count };
}

/** Workers when --workers is absent: the cores but one (as Jest's maxWorkers), at least one. Why
 * not every core? The command's own thread is busy too (it reruns and shrinks a failure, writes
 * traces, runs the race faults), and on 2 shared cores two workers took 2.2x the wall time of
 * one for `run` and 1.5x for `faults` (docs/properties.md, Workers and shards). */
export function defaultCores(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/** `--workers N`, 1..256; defaultCores() when absent. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return defaultCores();
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--workers: '${value}' is not a whole number`);
  const n = Number(value);
  if (n < 1 || n > 256) throw new UsageError(`--workers: ${n} is outside 1..256`);
  return n;
}

/** Runs a worker should have before a default split gives it any: each worker warms up its own
 * compiled code, and the first few hundred runs of a thread cost several times the later ones
 * (docs/properties.md, Workers and shards). */
export const MIN_RUNS_PER_WORKER = 250;

/** Workers for `count` runs without --workers: defaultCores(), but none with under
 * MIN_RUNS_PER_WORKER runs (`run --runs 20` stays in one thread), except the `warm` ones an
 * earlier suite of the command started, whose warm-up is paid: those take a suite of any size
 * (a library pass of 100 runs took half the time on two warm workers that it took in the
 * command's own thread, still cold: docs/properties.md, Workers and shards). */
export function defaultWorkers(count: number, warm = 0, cores = availableParallelism()): number {
  const worthStarting = Math.floor(count / MIN_RUNS_PER_WORKER);
  return Math.max(1, Math.min(defaultCores(cores), Math.max(worthStarting, warm)));
}

/** The part of 0..total that `shard` runs: consecutive, sizes differing by at most one, the n
 * parts in order covering 0..total exactly once. The whole range without a shard. */
export function shardRange(total: number, shard: Shard | undefined): Range {
  if (shard === undefined) return { start: 0, end: total };
  const at = (i: number) => Math.floor((i * total) / shard.count);
  return { start: at(shard.index - 1), end: at(shard.index) };
}

/** Most runs a block holds: small enough that a failure stops the other workers soon and the
 * load evens out, large enough that a block's set-up (one fc.check) is paid rarely. */
const MAX_BLOCK = 50;

/** `range` cut into consecutive blocks for `workers` threads, in order: about four per worker,
 * at most MAX_BLOCK runs each. */
export function blocksOf(range: Range, workers: number): Range[] {
  const total = range.end - range.start;
  if (total <= 0) return [];
  const size = Math.max(1, Math.min(MAX_BLOCK, Math.ceil(total / (workers * 4))));
  const blocks: Range[] = [];
  for (let start = range.start; start < range.end; start += size) {
    blocks.push({ start, end: Math.min(range.end, start + size) });
  }
  return blocks;
}
