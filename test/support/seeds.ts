// Property tests run with pinned seeds plus one fresh seed, printed so a failure reproduces:
//   GRANTCHECK_SEED=<n> npx vitest run <file>
import { randomInt } from 'node:crypto';

export const PINNED_SEEDS: readonly number[] = [1, 42, 20261124];

function freshSeed(): number {
  const fromEnv = process.env['GRANTCHECK_SEED'];
  if (fromEnv !== undefined && /^[0-9]+$/.test(fromEnv)) return Number(fromEnv);
  return randomInt(2 ** 31 - 1);
}

/** The pinned seeds followed by one fresh seed; the fresh one is printed. */
export function testSeeds(label: string): number[] {
  const fresh = freshSeed();
  console.log(`[${label}] fresh seed ${fresh} (reproduce: GRANTCHECK_SEED=${fresh})`);
  return [...PINNED_SEEDS, fresh];
}
