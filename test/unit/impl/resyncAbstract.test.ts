// resyncAbstract (src/impl/abstract.ts), which ImplSubject.restore calls: after a restore to a
// state abstract() built before, that build is taken back with fresh marks, so the next
// abstract() patches from the parent at what the next op writes alone. On the explorer's
// pattern (restore a parent, apply an op, no abstract() in between) the cached abstraction
// equals the uncached one after every op; a planted resync that takes back a build the system
// no longer holds is caught. Pinned seeds plus one fresh printed seed.
import { describe, expect, it } from 'vitest';
import { abstract, abstractUncached, resyncAbstract } from '../../../src/impl/abstract.ts';
import type { GrantSystem, ImplSnapshot } from '../../../src/impl/index.ts';
import { makeConfig } from '../../../src/config.ts';
import { ImplSubject } from '../../../src/subject/impl.ts';
import type { ModelState } from '../../../src/model/state.ts';
import { randomOp, rng } from './randomOps.ts';

const FRESH_SEED = Math.floor(Math.random() * 2 ** 31);
const SEEDS = [1, 2, 3, 4, 5, FRESH_SEED];

/**
 * From a parent reached by a random walk, `steps` times: restore the parent (through
 * `restore`), apply a random op, and compare abstract() with abstractUncached(); now and then
 * the walk moves on to the child. Returns the steps checked.
 */
function restoreWalk(
  seed: number,
  steps: number,
  restore: (subject: ImplSubject, snap: ImplSnapshot) => void,
): number {
  const r = rng(seed);
  const subject = new ImplSubject(makeConfig({ domains: 3 }), undefined, 'impl');
  const s: GrantSystem = subject.system;
  let parent: { snap: ImplSnapshot; model: ModelState } = {
    snap: s.snapshot(),
    model: abstract(s),
  };
  let checked = 0;
  for (let i = 0; i < steps; i++) {
    const where = `seed ${seed} step ${i}`;
    restore(subject, parent.snap);
    s.apply(randomOp(r, parent.model));
    const now = abstractUncached(s);
    expect(abstract(s), where).toEqual(now);
    checked++;
    if (r(6) === 0) parent = { snap: s.snapshot(), model: now };
  }
  return checked;
}

const viaSubject = (subject: ImplSubject, snap: ImplSnapshot): void =>
  subject.restore({ subject: 'impl', impl: snap } as Parameters<ImplSubject['restore']>[0]);

describe('abstract() after a restore and resyncAbstract', () => {
  it.each(SEEDS)('equals the uncached abstraction after every op (seed %i)', (seed) => {
    if (seed === FRESH_SEED) console.log(`resyncAbstract fresh seed: ${seed}`);
    expect(restoreWalk(seed, 600, viaSubject)).toBe(600);
  });

  it("takes back the parent build: the parent's domain states, the very objects", () => {
    const subject = new ImplSubject(makeConfig({ domains: 2 }), undefined, 'impl');
    const s = subject.system;
    const snap = s.snapshot();
    const parent = abstract(s);
    s.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 0, gfn: 0, readonly: false });
    expect(abstract(s).domains[1]).not.toBe(parent.domains[1]);
    viaSubject(subject, snap);
    const back = abstract(s);
    expect(back).toEqual(parent);
    back.domains.forEach((d, i) => expect(d).toBe(parent.domains[i]));
  });

  it('catches a planted resync that takes back a build the system does not hold', () => {
    const planted = (subject: ImplSubject, snap: ImplSnapshot): void => {
      subject.system.restore(snap);
      resyncAbstract(subject.system, () => true);
    };
    expect(() => restoreWalk(1, 600, planted)).toThrow();
  });
});
