// A map from state keys to values for a search's hooks (conformance keeps a subject snapshot per
// state of a level): packed numeric keys in an open-addressing table, like the visited set's
// (./visited.ts), strings in a Map.

import type { StateKey } from './model.ts';
import { hashStateKey } from './visited.ts';

/** Empty slots hold -1: packed keys are non-negative. */
const EMPTY = -1;
const MIN_SLOTS = 1 << 6;

/**
 * Why not a Map? A packed key is a 53-bit number, and a Map boxes each one it is asked about
 * (a heap number per lookup) and hashes the box: conformance asks two level maps about every
 * child, and those two lookups were 2.8% of a conformance search (first 60 000 states of the
 * basic preset).
 */
export class StateKeyMap<V> {
  /** Keys by slot (linear probing, load at most 1/2), and each slot's index in `values`. */
  private slots = new Float64Array(MIN_SLOTS).fill(EMPTY);
  private at = new Int32Array(MIN_SLOTS);
  private readonly values: V[] = [];
  /** Keys that are not non-negative safe integers. */
  private readonly other = new Map<StateKey, V>();

  get size(): number {
    return this.values.length + this.other.size;
  }

  get(key: StateKey): V | undefined {
    if (!packed(key)) return this.other.get(key);
    const slot = this.find(key);
    return this.slots[slot] === key ? this.values[this.at[slot] ?? 0] : undefined;
  }

  has(key: StateKey): boolean {
    if (!packed(key)) return this.other.has(key);
    return this.slots[this.find(key)] === key;
  }

  set(key: StateKey, value: V): void {
    if (!packed(key)) {
      this.other.set(key, value);
      return;
    }
    let slot = this.find(key);
    if (this.slots[slot] === key) {
      this.values[this.at[slot] ?? 0] = value;
      return;
    }
    if ((this.values.length + 1) * 2 > this.slots.length) {
      this.rehash(this.slots.length * 2);
      slot = this.find(key);
    }
    this.slots[slot] = key;
    this.at[slot] = this.values.length;
    this.values.push(value);
  }

  /** `key`'s slot, or the empty slot where it would go. */
  private find(key: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = hashStateKey(key) & mask;
    for (;;) {
      const k = slots[i];
      if (k === key || k === EMPTY) return i;
      i = (i + 1) & mask;
    }
  }

  private rehash(size: number): void {
    const old = this.slots;
    const oldAt = this.at;
    this.slots = new Float64Array(size).fill(EMPTY);
    this.at = new Int32Array(size);
    for (let i = 0; i < old.length; i++) {
      const k = old[i] ?? EMPTY;
      if (k === EMPTY) continue;
      const slot = this.find(k);
      this.slots[slot] = k;
      this.at[slot] = oldAt[i] ?? 0;
    }
  }
}

function packed(key: StateKey): key is number {
  return typeof key === 'number' && key >= 0 && Number.isSafeInteger(key);
}
