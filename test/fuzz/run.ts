// `npm run fuzz [-- --cases N] [--seed S]`: the fuzz property of test/fuzz/traces.test.ts with a
// larger budget. Runs every case (no shrinking), prints a summary (cases, exit-code histogram,
// problems) and exits 1 if any case crashed, hung or printed a bad error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { safeJson } from '../../src/input/index.ts';
import { baseTraces, FAULT_IDS, fuzzCaseArb } from './mutate.ts';
import { outcomeProblem, runCase } from './property.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.lastIndexOf(`--${name}`); // the last one wins: npm run fuzz -- --cases N
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) return fallback;
  if (!/^[0-9]+$/.test(v)) {
    console.error(`fuzz: --${name}: '${v}' is not a whole number`);
    process.exit(2);
  }
  return Number(v);
}

const cases = flag('cases', 10_000);
const seed = flag('seed', randomInt(2 ** 31 - 1));
const bases = baseTraces();
const dir = mkdtempSync(join(tmpdir(), 'grantcheck-fuzz-'));
console.log(
  `fuzz: ${cases} cases, seed ${seed} (reproduce: npm run fuzz -- --cases ${cases} --seed ${seed})`,
);

const histogram = new Map<number, number>();
const problems: string[] = [];
let slowest = 0;
const start = performance.now();
const all = fc.sample(fuzzCaseArb(bases.length, FAULT_IDS), { seed, numRuns: cases });
for (const [i, c] of all.entries()) {
  const o = await runCase(dir, bases, c);
  histogram.set(o.code, (histogram.get(o.code) ?? 0) + 1);
  slowest = Math.max(slowest, o.ms);
  const problem = outcomeProblem(o);
  if (problem) problems.push(`case ${i}: ${problem}\n  ${safeJson(c).slice(0, 400)}`);
  if (process.stderr.isTTY && i % 500 === 0) process.stderr.write(`\r${i}/${cases}`);
}
rmSync(dir, { recursive: true, force: true });
const seconds = (performance.now() - start) / 1000;
if (process.stderr.isTTY) process.stderr.write('\r');
console.log(
  `cases run   ${all.length} in ${seconds.toFixed(1)} s (slowest ${Math.round(slowest)} ms)`,
);
console.log(
  `exit codes  ${[...histogram.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ')}`,
);
console.log(`crashes     ${problems.length}`);
for (const p of problems.slice(0, 10)) console.log(p);
process.exitCode = problems.length === 0 ? 0 : 1;
