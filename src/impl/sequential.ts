// The sequential twins of the steps: bin/gen-sequential.ts derives from every module of src/impl
// and src/faults that declares steps a module under src/sequential.gen/ with the same functions,
// pauses removed, as plain functions. The engines that run each op to its end (GrantSystem.apply)
// call these: no generator is created or resumed. The interleaving engine keeps the steps.

import { allTwins } from '../sequential.gen/index.ts';
import type { ImplParts, SequentialParts } from './parts.ts';
import { STEP_PARTS } from './parts.ts';
import { runToEnd } from './steps.ts';
import type { Steps } from './steps.ts';

/** Every exported step function of src/impl and src/faults -> its twin (built on first use:
 * the generated modules import their sources, which may still be loading at import time). */
let registry: Map<unknown, unknown> | undefined;

function twins(): Map<unknown, unknown> {
  registry ??= new Map(allTwins());
  return registry;
}

/** The twin of a step function, if bin/gen-sequential.ts made one. */
export function twinOf(steps: unknown): unknown {
  return twins().get(steps);
}

/** The parts whose step functions have no twin, in a table made by sequentialParts. */
const untwinned = new WeakMap<SequentialParts, readonly string[]>();

/** `parts` as the twins call them: each step part's twin, the other parts as they are. A step
 * part with no twin (one written in a test, not in src/impl or src/faults) is run to its end:
 * correct, at the generators' cost; untwinnedParts names them, and a test keeps the built-in
 * parts and every fault's out of that list. */
export function sequentialParts(parts: ImplParts): SequentialParts {
  // Systems are made per run, nearly always with the same parts: the last table is reused.
  if (last !== undefined && sameParts(last.parts, parts)) return last.table;
  const table: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [name, part] of Object.entries(parts) as [keyof ImplParts, unknown][]) {
    if (!(name in STEP_PARTS)) {
      table[name] = part;
      continue;
    }
    const twin = twinOf(part);
    if (twin !== undefined) {
      table[name] = twin;
    } else {
      missing.push(name);
      const steps = part as (...args: unknown[]) => Steps<unknown>;
      table[name] = (...args: unknown[]) => runToEnd(steps(...args));
    }
  }
  const sequential = table as unknown as SequentialParts;
  untwinned.set(sequential, missing);
  last = { parts, table: sequential };
  return sequential;
}

let last: { readonly parts: ImplParts; readonly table: SequentialParts } | undefined;

function sameParts(a: ImplParts, b: ImplParts): boolean {
  if (a === b) return true;
  for (const name in a) if (a[name as keyof ImplParts] !== b[name as keyof ImplParts]) return false;
  return true;
}

/** The step parts of a table made by sequentialParts that had no twin. */
export function untwinnedParts(parts: SequentialParts): readonly string[] {
  return untwinned.get(parts) ?? [];
}
