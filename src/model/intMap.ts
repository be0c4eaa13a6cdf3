// A persistent map from small non-negative integer keys to values, for the model's maptrack
// mappings: a domain can hold hundreds of live mappings, and every map or unmap makes a new
// state. Keys live in a 32-way trie, so a copy with one key set or removed copies one path of
// short arrays and shares the rest; a Map copy would cost the whole table per step. It reads as
// a ReadonlyMap, iterating in ascending key order.

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;
/** Keys are handles (< 2^16); the trie grows up to this many levels. */
const MAX_KEY = 2 ** 30 - 1;

/** An inner node holds child nodes, a leaf (shift 0) holds values; absent slots are undefined. */
type Node = unknown[];

function checkKey(key: number): void {
  if (!Number.isInteger(key) || key < 0 || key > MAX_KEY) {
    throw new RangeError(`IntMap key ${key} is not an integer in 0..${MAX_KEY}`);
  }
}

export class IntMap<V> implements ReadonlyMap<number, V> {
  private static readonly EMPTY = new IntMap<never>(undefined, 0, 0);

  // ECMAScript private fields: not own enumerable properties, so two IntMaps holding the same
  // entries are equal to structural comparisons (vitest's toEqual) whatever their trie shapes.
  readonly #root: Node | undefined;
  /** Bit shift of the root's slot index: 0 when the root is a leaf. */
  readonly #shift: number;
  readonly #size: number;
  /** Keys and values in key order, built on the first iteration (the map never changes). */
  #flat: { keys: number[]; values: V[] } | undefined;

  private constructor(root: Node | undefined, shift: number, size: number) {
    this.#root = root;
    this.#shift = shift;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  static empty<V>(): IntMap<V> {
    return IntMap.EMPTY as IntMap<V>;
  }

  static from<V>(entries: Iterable<readonly [number, V]>): IntMap<V> {
    const builder = new IntMapBuilder<V>();
    for (const [key, value] of entries) builder.set(key, value);
    return builder.build();
  }

  /** @internal for IntMapBuilder */
  static of<V>(root: Node | undefined, shift: number, size: number): IntMap<V> {
    return size === 0 ? IntMap.empty() : new IntMap<V>(root, shift, size);
  }

  get(key: number): V | undefined {
    let node = this.#root;
    if (node === undefined || (key | 0) !== key || key < 0 || key >= WIDTH << this.#shift) {
      return undefined;
    }
    for (let s = this.#shift; s > 0; s -= BITS) {
      node = node[(key >>> s) & MASK] as Node | undefined;
      if (node === undefined) return undefined;
    }
    return node[key & MASK] as V | undefined;
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with `key` set to `value` (never undefined); this one is unchanged. */
  with(key: number, value: V): IntMap<V> {
    checkKey(key);
    let root = this.#root ?? new Array<unknown>(WIDTH);
    let shift = this.#root === undefined ? 0 : this.#shift;
    while (key >= WIDTH << shift) {
      const grown = new Array<unknown>(WIDTH);
      grown[0] = root;
      root = grown;
      shift += BITS;
    }
    const had = this.get(key) !== undefined;
    const path = root === this.#root ? root.slice() : root;
    let node = path;
    for (let s = shift; s > 0; s -= BITS) {
      const i = (key >>> s) & MASK;
      const child = node[i] as Node | undefined;
      const copy = child === undefined ? new Array<unknown>(WIDTH) : child.slice();
      node[i] = copy;
      node = copy;
    }
    node[key & MASK] = value;
    return new IntMap(path, shift, had ? this.#size : this.#size + 1);
  }

  /** A map without `key`; this one when it has no such key. */
  without(key: number): IntMap<V> {
    if (!this.has(key) || this.#root === undefined) return this;
    if (this.#size === 1) return IntMap.empty();
    const path = this.#root.slice();
    let node = path;
    for (let s = this.#shift; s > 0; s -= BITS) {
      const i = (key >>> s) & MASK;
      const copy = (node[i] as Node).slice();
      node[i] = copy;
      node = copy;
    }
    node[key & MASK] = undefined;
    return new IntMap(path, this.#shift, this.#size - 1);
  }

  /** Call `visit(key)` for every key whose value differs (by identity, absent counting as
   * undefined) between this map and `other`, until it returns false; false if it did. Subtrees
   * the two maps share are skipped, so after `with`/`without` the cost follows the keys
   * changed, not the map's size. */
  everyChange(other: IntMap<V>, visit: (key: number) => boolean): boolean {
    if (this === other) return true;
    const a = this.#root;
    const b = other.#root;
    if (a === undefined || b === undefined || this.#shift !== other.#shift) {
      // Different trie heights (or an empty side): compare every key of both.
      for (const key of this.keys())
        if (this.get(key) !== other.get(key) && !visit(key)) return false;
      for (const key of other.keys()) if (!this.has(key) && !visit(key)) return false;
      return true;
    }
    return changedIn(a, b, this.#shift, 0, visit);
  }

  #flattened(): { keys: number[]; values: V[] } {
    if (this.#flat === undefined) {
      const keys: number[] = [];
      const values: V[] = [];
      if (this.#root !== undefined) flatten(this.#root, this.#shift, 0, keys, values);
      this.#flat = { keys, values };
    }
    return this.#flat;
  }

  forEach(callback: (value: V, key: number, map: ReadonlyMap<number, V>) => void): void {
    const { keys, values } = this.#flattened();
    for (let i = 0; i < keys.length; i++) callback(values[i] as V, keys[i] as number, this);
  }

  keys(): MapIterator<number> {
    return this.#flattened().keys.values();
  }

  values(): MapIterator<V> {
    return this.#flattened().values.values();
  }

  entries(): MapIterator<[number, V]> {
    const { keys, values } = this.#flattened();
    return new EntryIterator(keys, values);
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'IntMap';
  }
}

/** Append the keys (from `base`) and values under `node`, whose slot index is at `shift`, in key
 * order. (A function of the module, not a closure: every new map that is iterated flattens.) */
function flatten<V>(node: Node, shift: number, base: number, keys: number[], values: V[]): void {
  for (let i = 0; i < node.length; i++) {
    const slot = node[i];
    if (slot === undefined) continue;
    if (shift === 0) {
      keys.push(base + i);
      values.push(slot as V);
    } else {
      flatten(slot as Node, shift - BITS, base + i * (1 << shift), keys, values);
    }
  }
}

/** everyChange on two nodes at the same shift whose keys start at `base`. */
function changedIn(
  a: Node | undefined,
  b: Node | undefined,
  shift: number,
  base: number,
  visit: (key: number) => boolean,
): boolean {
  if (a === b) return true;
  for (let i = 0; i < WIDTH; i++) {
    const x = a?.[i];
    const y = b?.[i];
    if (x === y) continue;
    if (shift === 0) {
      if (!visit(base + i)) return false;
    } else if (
      !changedIn(
        x as Node | undefined,
        y as Node | undefined,
        shift - BITS,
        base + i * (1 << shift),
        visit,
      )
    ) {
      return false;
    }
  }
  return true;
}

/** An IntMap's entries in key order. Why not a generator: a generator's `next` is not inlined
 * into the loop that drives it, so every step allocated its result and [key, value] pair (the
 * model's invariants and state comparison iterate maptrack mappings after most maps and
 * unmaps; docs/properties.md, "Where the time goes"). */
class EntryIterator<V> implements MapIterator<[number, V]> {
  #next = 0;

  constructor(
    private readonly keys: readonly number[],
    private readonly values: readonly V[],
  ) {}

  next(): IteratorResult<[number, V], undefined> {
    const i = this.#next;
    if (i >= this.keys.length) return { done: true, value: undefined };
    this.#next = i + 1;
    return { done: false, value: [this.keys[i] as number, this.values[i] as V] };
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this;
  }
}

/** Builds an IntMap by setting keys in place, for a table read from elsewhere (the impl's
 * abstraction, a trace): no path copies, since nothing else holds the nodes yet. */
export class IntMapBuilder<V> {
  #root: Node | undefined;
  #shift = 0;
  #size = 0;

  set(key: number, value: V): this {
    checkKey(key);
    this.#root ??= new Array<unknown>(WIDTH);
    while (key >= WIDTH << this.#shift) {
      const grown = new Array<unknown>(WIDTH);
      grown[0] = this.#root;
      this.#root = grown;
      this.#shift += BITS;
    }
    let node = this.#root;
    for (let s = this.#shift; s > 0; s -= BITS) {
      const i = (key >>> s) & MASK;
      let child = node[i] as Node | undefined;
      if (child === undefined) {
        child = new Array<unknown>(WIDTH);
        node[i] = child;
      }
      node = child;
    }
    if (node[key & MASK] === undefined) this.#size++;
    node[key & MASK] = value;
    return this;
  }

  build(): IntMap<V> {
    const map = IntMap.of<V>(this.#root, this.#shift, this.#size);
    this.#root = undefined;
    this.#shift = 0;
    this.#size = 0;
    return map;
  }
}
