// Shrinking values, not only the op list (as Hypothesis does): after fast-check has shrunk a
// counterexample, each number an op carries (flags, frames, gfns, addresses, handles) is moved
// toward the smallest value that still fails the same check — first 0, then with one set bit
// cleared at a time, highest first — so that a raw write shows flags 0x11, not 0x6191.
// fast-check shrinks integers toward 0 by halving, which stops at the first smaller value that
// passes; a bit pattern such as "permit_access and writing" needs bits cleared one by one.

import type { Op } from '../ops/op.ts';
import type { RunReport } from './run.ts';
import { violationChecks } from './checker.ts';

/** Fields that name something (a domain, a ref, a caller): changing them changes what the ops
 * are about, so they are left as fast-check shrank them. */
const IDENTITY_FIELDS: ReadonlySet<string> = new Set([
  'kind',
  'dom',
  'caller',
  'domid',
  'grantee',
  'ref',
  'readonly',
]);

type Mutable = Record<string, unknown>;

/** Every (object, field) holding a shrinkable number in `op`, batch elements included. */
function numberSlots(op: Mutable): [Mutable, string][] {
  const slots: [Mutable, string][] = [];
  for (const [field, value] of Object.entries(op)) {
    if (typeof value === 'number' && !IDENTITY_FIELDS.has(field)) slots.push([op, field]);
  }
  const batch = op['batch'];
  if (Array.isArray(batch)) {
    for (const element of batch as Mutable[]) slots.push(...numberSlots(element));
  }
  return slots;
}

/** Smaller candidates for `value`: 0, then `value` with one set bit cleared, highest first. */
function candidates(value: number): number[] {
  if (value <= 0 || !Number.isSafeInteger(value)) return [];
  const out = [0];
  for (let bit = Math.floor(Math.log2(value)); bit >= 0; bit--) {
    const mask = 2 ** bit;
    if (Math.floor(value / mask) % 2 === 1) out.push(value - mask);
  }
  return out.filter((c) => c < value);
}

/** Minimise the numbers of `ops` while `run` still fails with the same check as `report`;
 * returns the ops and the report of their run (cut at the failing step). */
export function minimizeValues(
  ops: readonly Op[],
  report: RunReport,
  run: (ops: readonly Op[]) => RunReport,
  budget = 500,
): { ops: readonly Op[]; report: RunReport } {
  const failure = report.failure;
  if (!failure || failure.step < 0) return { ops, report };
  const target = violationChecks(failure.violation);
  let best = structuredClone(ops.slice(0, failure.step + 1)) as Op[];
  let bestReport = report;
  let tries = 0;
  let improved = true;
  while (improved && tries < budget) {
    improved = false;
    for (let i = 0; i < best.length && tries < budget; i++) {
      const slotCount = numberSlots(best[i] as unknown as Mutable).length;
      for (let s = 0; s < slotCount && tries < budget; s++) {
        for (;;) {
          const trial = structuredClone(best);
          const slot = numberSlots(trial[i] as unknown as Mutable)[s];
          if (!slot) break;
          const [holder, field] = slot;
          const current = holder[field] as number;
          let accepted = false;
          for (const candidate of candidates(current)) {
            if (tries++ >= budget) break;
            holder[field] = candidate;
            const r = run(trial);
            if (r.failure && violationChecks(r.failure.violation) === target) {
              best = trial.slice(0, r.failure.step + 1);
              bestReport = r;
              accepted = improved = true;
              break;
            }
          }
          if (!accepted) break;
        }
      }
    }
  }
  return { ops: best, report: bestReport };
}
