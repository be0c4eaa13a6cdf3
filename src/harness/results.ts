// Equality of op results. Results are small JSON-like values (records, arrays, numbers,
// strings), so a structural comparison with early exit is enough — and cheap enough to run
// after every step.

import type { OpResult } from '../ops/result.ts';

/** The number of fields of `o` not set to undefined. */
function definedFields(o: Record<string, unknown>): number {
  let n = 0;
  for (const k in o) if (o[k] !== undefined) n++;
  return n;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  // A field set to undefined counts as absent, as it does in JSON: equal when every defined
  // field of a equals b's, and b has no more defined fields. Results are plain objects, whose
  // enumerable fields are all their own (an Object.hasOwn per field took half the time).
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    const v = ra[k];
    if (v === undefined) continue;
    n++;
    if (!jsonEqual(v, rb[k])) return false;
  }
  return n === definedFields(rb);
}

export function resultsEqual(a: OpResult, b: OpResult): boolean {
  return jsonEqual(a, b);
}
