// A restore writes back only what differs and logs it as touched (src/impl/touch.ts LoadedCopy):
// the explorer's pattern — restore one parent, apply an op, restore the same parent again — must
// leave every reader that keeps derived state (abstract()'s caches, the invariants' scans and pin
// ledger) exactly where a fresh reader would be, and GrantSystem.holds must say whether a restore
// would change anything. Pinned seeds plus one fresh printed seed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { abstract, abstractUncached } from '../../../src/impl/abstract.ts';
import type { GrantSystem, ImplSnapshot } from '../../../src/impl/index.ts';
import { LoadedCopy } from '../../../src/impl/touch.ts';
import { failingInvariants } from '../../../src/harness/checker.ts';
import { makeConfig } from '../../../src/config.ts';
import { ImplSubject } from '../../../src/subject/impl.ts';
import { step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { randomOp, rng } from './randomOps.ts';

const FRESH_SEED = Math.floor(Math.random() * 2 ** 31);
const SEEDS = [1, 2, 3, 4, 5, FRESH_SEED];

/** Each invariant's verdict on the subject's kept scans, and on a rescan from nothing. */
function verdicts(subject: ImplSubject): { kept: string[]; fresh: string[] } {
  const names = (rescan: boolean) =>
    failingInvariants(subject.internals.view(rescan), INVARIANTS).map((f) => f.name);
  return { kept: names(false), fresh: names(true) };
}

/**
 * From a parent reached by a random walk, `children` times: restore the parent, apply a random
 * op, and check the child (cached abstract = uncached, kept scans = rescans, holds(parent) iff
 * nothing changed); now and then the walk moves on to a child. Returns the steps checked.
 */
function undoWalk(seed: number, steps: number): number {
  const r = rng(seed);
  const config = makeConfig({ domains: 3 });
  const subject = new ImplSubject(config, undefined, 'impl');
  const s: GrantSystem = subject.system;
  let parent: { snap: ImplSnapshot; model: ModelState } = {
    snap: s.snapshot(),
    model: abstractUncached(s),
  };
  let checked = 0;
  for (let i = 0; i < steps; i++) {
    const where = `seed ${seed} step ${i}`;
    s.restore(parent.snap);
    expect(s.holds(parent.snap), where).toBe(true);
    expect(abstractUncached(s), where).toEqual(parent.model);
    expect(abstract(s), where).toEqual(parent.model);
    const op = randomOp(r, parent.model);
    const next = step(parent.model, op);
    expect(s.apply(op), where).toEqual(next.result);
    const now = abstractUncached(s);
    expect(abstract(s), where).toEqual(now);
    const { kept, fresh } = verdicts(subject);
    expect(kept, where).toEqual(fresh);
    // holds: only when nothing the snapshot saved was written (a refused op, a read)
    if (s.holds(parent.snap)) expect(now, where).toEqual(parent.model);
    checked++;
    if (r(8) === 0) parent = { snap: s.snapshot(), model: now };
  }
  return checked;
}

describe('restoring the same parent again (an undo)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(SEEDS)('leaves every reader as a fresh one would be (seed %i)', (seed) => {
    if (seed === FRESH_SEED) console.log(`restoreUndo fresh seed: ${seed}`);
    expect(undoWalk(seed, 400)).toBe(400);
  });

  it('holds is false after an op that wrote, true after one that did not', () => {
    const subject = new ImplSubject(makeConfig({ domains: 2 }), undefined, 'impl');
    const s = subject.system;
    const snap = s.snapshot();
    expect(s.holds(snap)).toBe(true);
    s.apply({ kind: 'query_size', caller: 1, dom: 1 });
    expect(s.holds(snap)).toBe(true);
    s.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 0, gfn: 0, readonly: false });
    expect(s.holds(snap)).toBe(false);
    s.restore(snap);
    expect(s.holds(snap)).toBe(true);
    expect(subject.holds({ subject: 'other' })).toBe(false);
  });

  it('catches a planted undo that forgets what was written', () => {
    // The planted variant: the loaded copy claims nothing was written since it was loaded.
    vi.spyOn(LoadedCopy.prototype, 'writtenSince').mockImplementation(function (
      this: LoadedCopy<unknown>,
    ) {
      return [];
    });
    expect(() => undoWalk(1, 400)).toThrow();
  });
});
