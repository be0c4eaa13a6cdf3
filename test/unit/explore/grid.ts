// A toy model for explorer tests: a point (x, y) on an (N+1) x (N+1) grid, moved one step at a
// time. Reachable states: (N+1)^2; diameter 2N; under the x<->y mirror, (N+1)(N+2)/2 orbits.

import type { ExplorableModel, Invariant } from '../../../src/explore/model.ts';

export type Move = 'incX' | 'decX' | 'incY' | 'decY';
export interface Point {
  readonly x: number;
  readonly y: number;
}

const MOVES: readonly Move[] = ['incX', 'decX', 'incY', 'decY'];

export interface GridOptions {
  /** 'packed': numeric keys with fromKey; 'numeric': numeric keys only; 'string': text keys. */
  readonly keys?: 'packed' | 'numeric' | 'string';
  readonly invariants?: readonly Invariant<Point>[];
  readonly mirror?: boolean;
}

export function gridModel(n: number, o: GridOptions = {}): ExplorableModel<Point, Move> {
  const keys = o.keys ?? 'packed';
  const model: ExplorableModel<Point, Move> = {
    name: `grid(${n})`,
    initial: () => ({ x: 0, y: 0 }),
    actions: () => MOVES,
    step: (s, a) => {
      const x = s.x + (a === 'incX' ? 1 : a === 'decX' ? -1 : 0);
      const y = s.y + (a === 'incY' ? 1 : a === 'decY' ? -1 : 0);
      return x < 0 || y < 0 || x > n || y > n ? null : { x, y };
    },
    key: (s) => (keys === 'string' ? `${s.x},${s.y}` : s.x * (n + 1) + s.y),
    invariants: o.invariants ?? [],
    formatAction: (a) => a,
    formatState: (s) => `(${s.x},${s.y})`,
  };
  const packed = keys === 'packed' ? { fromKey: (k: number) => fromKey(n, k) } : {};
  const mirror = o.mirror ? { symmetry: (s: Point) => (s.x <= s.y ? s : { x: s.y, y: s.x }) } : {};
  return { ...model, ...packed, ...mirror };
}

function fromKey(n: number, k: number): Point {
  return { x: Math.floor(k / (n + 1)), y: k % (n + 1) };
}

export function sumBelow(limit: number): Invariant<Point> {
  return { name: 'sum-below', statement: `x + y < ${limit}`, holds: (s) => s.x + s.y < limit };
}
