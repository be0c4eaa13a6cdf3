// Equality of op results. Results are small JSON-like values (records, arrays, numbers,
// strings), so a structural comparison with early exit is enough — and cheap enough to run
// after every step.

import type { OpResult } from '../ops/result.ts';

function definedKeys(o: object): string[] {
  return Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
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
  // A field set to undefined counts as absent, as it does in JSON.
  const ak = definedKeys(a);
  const bk = definedKeys(b);
  if (ak.length !== bk.length) return false;
  for (const k of ak) {
    if (!jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}

export function resultsEqual(a: OpResult, b: OpResult): boolean {
  return jsonEqual(a, b);
}
