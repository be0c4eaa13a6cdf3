// The step properties read only what a step can have changed (a kept state, the refs a swap
// names, ...). Their verdicts and messages must be the whole-state forms' (kept in
// test/support/stepPropertiesReference.ts) on every transition: the ones the conformance
// streams take, and the same transitions with the state after or the result replaced, so that
// the properties fire. A shortcut that is not sound is caught.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import type { StepProperty, Transition } from '../../src/harness/invariant.ts';
import { initialState, step } from '../../src/model/index.ts';
import type { ModelState } from '../../src/model/state.ts';
import type { Op } from '../../src/ops/op.ts';
import type { OpResult } from '../../src/ops/result.ts';
import { GNTST_general_error, GNTST_okay } from '../../src/xen/abi.ts';
import { PINNED_SEEDS, testSeeds } from '../support/seeds.ts';
import { STEP_PROPERTIES as REFERENCE } from '../support/stepPropertiesReference.ts';
import { conformanceSuite, suiteRuns } from '../support/suites.ts';

const suite = conformanceSuite();
const runArbitrary = suiteRuns(suite);

/** The result with its statuses turned (okay ↔ failed), where it has any. */
function turned(result: OpResult): OpResult {
  const flip = (s: number): number => (s === GNTST_okay ? GNTST_general_error : GNTST_okay);
  if ('statuses' in result && Array.isArray(result.statuses)) {
    return { ...result, statuses: result.statuses.map(flip) } as OpResult;
  }
  if (result.kind === 'map_grant_ref') {
    return { ...result, results: result.results.map((r) => ({ status: flip(r.status) })) };
  }
  if ('outcome' in result) return { ...result, outcome: 'ok' } as OpResult;
  return result;
}

/** `state` with the first active entry of each domain moved to another frame and grantee, and
 * the first shared entry of each domain rewritten (every flag bit flipped): what no-revocation
 * and the entry properties look at. */
function altered(state: ModelState): ModelState {
  return {
    ...state,
    domains: state.domains.map((d) => {
      const active = new Map(d.grantTable.active);
      const [ref, act] = [...active][0] ?? [];
      if (ref !== undefined && act) {
        active.set(ref, { ...act, mfn: act.mfn + 1, grantee: act.grantee + 1 });
      }
      const entries = new Map(d.grantTable.entries);
      const [eref, entry] = [...entries][0] ?? [];
      if (eref !== undefined && entry) entries.set(eref, { ...entry, flags: entry.flags ^ 0xffff });
      return { ...d, grantTable: { ...d.grantTable, active, entries } };
    }),
  };
}

/** A run's transitions, each also with the state after replaced by another state of the run
 * (`pick` chooses which) and with its result turned. */
function transitionsOf(ops: readonly Op[], pick: (n: number) => number): Transition[] {
  const states: ModelState[] = [initialState(suite.config)];
  const real: Transition[] = [];
  for (const op of ops) {
    const before = states[states.length - 1] ?? states[0];
    if (!before) break;
    const { state: after, result } = step(before, op);
    real.push({ before, op, result, after });
    states.push(after);
  }
  const out: Transition[] = [];
  for (const t of real) {
    const other = states[pick(states.length)] ?? t.before;
    out.push(
      t,
      { ...t, after: other },
      { ...t, after: t.before },
      { ...t, after: altered(t.after) },
      { ...t, result: turned(t.result) },
      { ...t, result: turned(t.result), after: t.before },
    );
  }
  return out;
}

/** The transitions on which `fast` and `full` answer differently. */
function differences(fast: StepProperty, full: StepProperty, ts: readonly Transition[]): number {
  let n = 0;
  for (const t of ts) if (fast.check(t) !== full.check(t)) n++;
  return n;
}

const picks = fc.infiniteStream(fc.nat()).map((s) => {
  const it = s[Symbol.iterator]();
  return (n: number): number => (it.next().value ?? 0) % n;
});

describe('step properties: the fast forms answer as the whole-state forms', () => {
  it('pair up by name', () => {
    expect(STEP_PROPERTIES.map((p) => p.name)).toEqual(REFERENCE.map((p) => p.name));
  });

  for (const seed of testSeeds('step property forms')) {
    it(`on reached transitions and on altered ones (seed ${seed})`, () => {
      const fired = new Map<string, number>();
      fc.assert(
        fc.property(runArbitrary, picks, (ops, pick) => {
          const ts = transitionsOf(ops, pick);
          for (const [i, fast] of STEP_PROPERTIES.entries()) {
            const full = REFERENCE[i];
            if (!full) throw new Error(`no reference for ${fast.name}`);
            for (const t of ts) {
              const want = full.check(t);
              expect(fast.check(t), `${fast.name} on ${t.op.kind}`).toBe(want);
              if (want !== null) fired.set(fast.name, (fired.get(fast.name) ?? 0) + 1);
            }
          }
        }),
        { seed, numRuns: 40 },
      );
      console.log(`[step property forms] seed ${seed} fired: ${JSON.stringify([...fired])}`);
      // The altered transitions make the properties whose forms changed fire: on the pinned
      // seeds (a fresh seed's 40 runs may miss a rare one, e.g. a committed transfer touched).
      if (!PINNED_SEEDS.includes(seed)) return;
      for (const name of [
        'failure-atomicity',
        'no-revocation',
        'committed-transfer-untouched',
        'swap-exchanges-only-two-entries',
        'well-formed-statuses',
      ]) {
        expect(fired.get(name) ?? 0, name).toBeGreaterThan(0);
      }
    });
  }

  it('a shortcut that is not sound is caught', () => {
    const swap = STEP_PROPERTIES.find((p) => p.name === 'swap-exchanges-only-two-entries');
    const full = REFERENCE.find((p) => p.name === 'swap-exchanges-only-two-entries');
    if (!swap || !full) throw new Error('no swap property');
    // "A kept state changed nothing": true of no-revocation, not of the swaps' exchanges.
    const keptIsFine: StepProperty = {
      ...swap,
      check: (t) => (t.before === t.after ? null : swap.check(t)),
    };
    let caught = 0;
    fc.assert(
      fc.property(runArbitrary, picks, (ops, pick) => {
        const ts = transitionsOf(ops, pick);
        expect(differences(swap, full, ts)).toBe(0);
        caught += differences(keptIsFine, full, ts);
      }),
      { seed: 1, numRuns: 40 },
    );
    expect(caught).toBeGreaterThan(0);
  });
});
