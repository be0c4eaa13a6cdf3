// The visited set of a breadth-first search, with each state's insertion index and parent link.
// Insertion order is BFS order, so the key column doubles as the queue and the parent column
// rebuilds shortest paths. Two layouts: packed numeric keys in typed arrays, or strings.

import type { StateKey } from './model.ts';

/** `add` results other than a new state's index. */
export const SEEN = -1;
export const OVER_STATES = -2;
export const OVER_MEMORY = -3;

export interface VisitedStore {
  readonly size: number;
  /**
   * Store `key` (reached from state index `parent`, or -1 for the initial state) unless present.
   * Returns the new state's index, SEEN, or OVER_STATES / OVER_MEMORY when storing it would pass
   * a bound (nothing is stored then).
   */
  add(key: StateKey, parent: number): number;
  has(key: StateKey): boolean;
  /** A hint: the first `n` of `keys` are about to be looked up. */
  prefetch(keys: readonly StateKey[], n: number): void;
  keyAt(index: number): StateKey;
  parentAt(index: number): number;
  /** Bytes held, capacity included (for string keys, an estimate). */
  readonly bytes: number;
  /**
   * The bytes the store may hold, transients of growth included. Why settable? The search lowers
   * it to what the process's memory bound leaves room for, at every memory sample.
   */
  byteLimit: number;
  /** After OVER_MEMORY: the bytes the refused growth would have held (transients included). */
  readonly neededBytes: number;
}

/** Empty table slots hold -1, which is why numeric keys must be non-negative. */
const EMPTY = -1;
/** Why 0.5? Linear probing stays near one probe per lookup; a miss, the common case for a
 * fresh state, averages 2.5 probes. Below that the table is 8 to 16 bytes per state. */
const MAX_LOAD = 0.5;
const MIN_TABLE = 1 << 10;
const TWO_32 = 4294967296;

/** A packed key's hash (./keyMap.ts shares it). */
export function hashStateKey(k: number): number {
  // A 53-bit key as two 32-bit halves, mixed murmur3-style.
  let h = Math.imul((k >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h ^= Math.imul(((k / TWO_32) >>> 0) + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

function badKey(key: StateKey): Error {
  return new Error(
    `explore: numeric state keys must be non-negative safe integers, got ${String(key)}`,
  );
}

function transient(target: number, current: number): number {
  // Why? While a column grows, the old and the new buffer are both alive.
  return target + current;
}

/**
 * Packed numeric keys: an open-addressing hash set (linear probing) of raw keys, plus columns
 * key-by-index and parent-by-index. About 20 to 40 bytes per state; never allocates per state.
 */
export class NumericVisited implements VisitedStore {
  private table: Float64Array;
  private mask: number;
  private keys: Float64Array;
  private parents: Int32Array;
  private count = 0;
  private sink = 0;
  neededBytes = 0;

  constructor(
    private readonly maxStates: number,
    public byteLimit: number,
  ) {
    this.table = new Float64Array(MIN_TABLE).fill(EMPTY);
    this.mask = MIN_TABLE - 1;
    this.keys = new Float64Array(MIN_TABLE >> 1);
    this.parents = new Int32Array(MIN_TABLE >> 1);
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.table.byteLength + this.keys.byteLength + this.parents.byteLength;
  }

  prefetch(keys: readonly StateKey[], n: number): void {
    // Loads of independent slots, summed so that the JIT cannot drop them.
    const table = this.table;
    const mask = this.mask;
    let sink = 0;
    for (let j = 0; j < n; j++) sink += table[hashStateKey(keys[j] as number) & mask] ?? 0;
    this.sink = sink;
  }

  has(key: StateKey): boolean {
    if (typeof key !== 'number') throw badKey(key);
    const table = this.table;
    const mask = this.mask;
    let i = hashStateKey(key) & mask;
    for (;;) {
      const t = table[i];
      if (t === key) return true;
      if (t === EMPTY) return false;
      i = (i + 1) & mask;
    }
  }

  add(key: StateKey, parent: number): number {
    if (typeof key !== 'number' || !(key >= 0) || !Number.isSafeInteger(key)) throw badKey(key);
    const table = this.table;
    const mask = this.mask;
    let i = hashStateKey(key) & mask;
    for (;;) {
      const t = table[i];
      if (t === key) return SEEN;
      if (t === EMPTY) break;
      i = (i + 1) & mask;
    }
    const index = this.count;
    if (index >= this.maxStates) return OVER_STATES;
    if (index >= this.keys.length || index + 1 > (mask + 1) * MAX_LOAD) {
      if (!this.grow()) return OVER_MEMORY;
      return this.add(key, parent);
    }
    table[i] = key;
    this.keys[index] = key;
    this.parents[index] = parent;
    this.count = index + 1;
    return index;
  }

  keyAt(index: number): number {
    return this.keys[index] ?? EMPTY;
  }

  parentAt(index: number): number {
    return this.parents[index] ?? -1;
  }

  /** Grow whichever part is full, if the bytes bound allows. False means it does not. */
  private grow(): boolean {
    const growTable = this.count + 1 > (this.mask + 1) * MAX_LOAD;
    const growColumns = this.count >= this.keys.length;
    const newTable = growTable ? (this.mask + 1) * 2 : this.mask + 1;
    // Why 1.5x for the columns? They are most of the bytes; doubling would waste up to half.
    const newColumns = growColumns ? Math.ceil(this.keys.length * 1.5) : this.keys.length;
    const after = newTable * 8 + newColumns * 12;
    const peak = growTable
      ? transient(after, this.table.byteLength)
      : transient(after, this.keys.byteLength + this.parents.byteLength);
    if (peak > this.byteLimit) {
      this.neededBytes = peak;
      return false;
    }
    try {
      if (growColumns) {
        const keys = new Float64Array(newColumns);
        keys.set(this.keys);
        const parents = new Int32Array(newColumns);
        parents.set(this.parents);
        this.keys = keys;
        this.parents = parents;
      }
      if (growTable) this.rehash(newTable);
    } catch (e) {
      // Why catch? An allocation refused by the system is a memory limit, not a crash.
      if (e instanceof RangeError) {
        this.neededBytes = peak;
        return false;
      }
      throw e;
    }
    return true;
  }

  private rehash(size: number): void {
    const table = new Float64Array(size).fill(EMPTY);
    const mask = size - 1;
    const keys = this.keys;
    for (let j = 0; j < this.count; j++) {
      const k = keys[j] ?? EMPTY;
      let i = hashStateKey(k) & mask;
      while (table[i] !== EMPTY) i = (i + 1) & mask;
      table[i] = k;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** Why this estimate? V8 keeps a Set entry in about 3 words and a short string in a 16-byte
 * header plus its characters; exact figures vary, and the heap guard in bfs.ts backs it up. */
const SET_ENTRY_BYTES = 24;
const STRING_HEADER_BYTES = 16;
/** V8 refuses Sets beyond 2^24 entries: a states bound of its own. */
const MAX_SET_SIZE = (1 << 24) - 1;

/** String keys (or numbers that do not pack): a Set, a key column and a parent column. */
export class StringVisited implements VisitedStore {
  private readonly seen = new Set<StateKey>();
  private readonly keys: StateKey[] = [];
  private parents = new Int32Array(1024);
  private keyBytes = 0;
  neededBytes = 0;

  constructor(
    private readonly maxStates: number,
    public byteLimit: number,
  ) {}

  get size(): number {
    return this.keys.length;
  }

  get bytes(): number {
    return this.keyBytes + this.keys.length * (SET_ENTRY_BYTES + 8) + this.parents.byteLength;
  }

  prefetch(): void {
    // Nothing to gain: a Set's layout is V8's.
  }

  has(key: StateKey): boolean {
    return this.seen.has(key);
  }

  add(key: StateKey, parent: number): number {
    if (this.seen.has(key)) return SEEN;
    const index = this.keys.length;
    if (index >= this.maxStates || index >= MAX_SET_SIZE) return OVER_STATES;
    const cost =
      (typeof key === 'string' ? STRING_HEADER_BYTES + 2 * key.length : 8) + SET_ENTRY_BYTES + 8;
    if (this.bytes + cost > this.byteLimit) return this.refuse(this.bytes + cost);
    if (index >= this.parents.length) {
      const peak = this.bytes + cost + this.parents.byteLength * 2;
      if (peak > this.byteLimit) return this.refuse(peak);
      const parents = new Int32Array(this.parents.length * 2);
      parents.set(this.parents);
      this.parents = parents;
    }
    this.seen.add(key);
    this.keys.push(key);
    this.parents[index] = parent;
    this.keyBytes += cost - SET_ENTRY_BYTES - 8;
    return index;
  }

  private refuse(needed: number): number {
    this.neededBytes = needed;
    return OVER_MEMORY;
  }

  keyAt(index: number): StateKey {
    const k = this.keys[index];
    if (k === undefined) throw new RangeError(`explore: no state with index ${index}`);
    return k;
  }

  parentAt(index: number): number {
    return this.parents[index] ?? -1;
  }
}
