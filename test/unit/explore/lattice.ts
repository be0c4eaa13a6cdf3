// A toy model for the search split by claims: a point of {0..n}^d moved one step along one axis
// at a time, carrying a ghost its key leaves out, the index of the move that reached it (so each
// state's ghost is that of the path a search stored it by). Levels grow wide (the sum of the
// coordinates), so a search splits early; keys are portable, but the split search only uses
// them through `fromKey` and `fingerprint`, as it does the Xen-level model's.

import type { ExplorableModel, Invariant } from '../../../src/explore/model.ts';

export interface LatticePoint {
  readonly at: readonly number[];
  /** The index of the move that reached the point (-1: the initial point). */
  readonly ghost: number;
}

export interface LatticeOptions {
  readonly dims: number;
  readonly size: number;
  readonly invariants?: readonly Invariant<LatticePoint>[];
  /** Told every state `fromKey` makes: a search decodes each state it stored once, to expand
   * it. */
  readonly decoded?: (s: LatticePoint) => void;
}

/** Move 2i adds one on axis i, move 2i + 1 takes one off. */
export function latticeModel(o: LatticeOptions): ExplorableModel<LatticePoint, number> {
  const { dims, size } = o;
  const base = size + 1;
  const moves = Array.from({ length: 2 * dims }, (_, i) => i);
  const key = (s: LatticePoint): number => s.at.reduce((k, c) => k * base + c, 0);
  return {
    name: `lattice(${dims}, ${size})`,
    initial: () => ({ at: new Array<number>(dims).fill(0), ghost: -1 }),
    actions: () => moves,
    step: (s, a) => {
      const axis = a >> 1;
      const c = (s.at[axis] ?? 0) + (a & 1 ? -1 : 1);
      if (c < 0 || c > size) return null;
      const at = s.at.slice();
      at[axis] = c;
      return { at, ghost: a };
    },
    key,
    fromKey: (k, aux) => {
      const at = new Array<number>(dims).fill(0);
      for (let i = dims - 1, rest = k; i >= 0; i--, rest = Math.floor(rest / base)) {
        at[i] = rest % base;
      }
      const s = { at, ghost: aux - 1 };
      o.decoded?.(s);
      return s;
    },
    aux: (s) => s.ghost + 1,
    fingerprint: (k) => {
      // a 64-bit mix of the key (the claim table's slots are its low bits)
      let h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      const lo = (h ^ (h >>> 16)) >>> 0;
      return (BigInt(Math.floor(k / 2 ** 32) + 1) << 32n) | BigInt(lo);
    },
    invariants: o.invariants ?? [],
    formatAction: (a) => `${a & 1 ? 'dec' : 'inc'}${a >> 1}`,
    formatState: (s) => `(${s.at.join(',')}) by ${s.ghost}`,
  };
}

/** Holds while the coordinates sum below `sum`, or the point was not reached by move `ghost`. */
export function notReachedBy(sum: number, ghost: number): Invariant<LatticePoint> {
  return {
    name: 'not-reached-by',
    statement: `a point of sum ${sum} or more is not reached by move ${ghost}`,
    holds: (s) => s.ghost !== ghost || s.at.reduce((a, b) => a + b, 0) < sum,
  };
}

/** Holds but at point `at` (its coordinates, comma-separated) reached by move `ghost`. */
export function notAt(at: string, ghost: number): Invariant<LatticePoint> {
  return {
    name: 'not-at',
    statement: `the point (${at}) is not reached by move ${ghost}`,
    holds: (s) => s.ghost !== ghost || s.at.join(',') !== at,
  };
}
