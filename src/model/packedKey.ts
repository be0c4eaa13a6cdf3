// Exact numeric keys of model states for exhaustive search. Every part of a state (a domain's
// p2m, shared entries, active entries, maptrack, host mappings, raw-write ghost; the frame
// owners; the page contents) is interned to a small integer by its key text (src/model/key.ts),
// each domain to an integer by its scalars and part ids, and the state's ids are packed into
// one number. Interning is a bijection, so equal keys iff equal stateKey texts (or, with a
// quotient maptrack key, equal orbits): this is not hash compaction. Ids follow the order states
// were met in, so a key names a state in its own packer only; `fingerprint` is a 64-bit hash of a
// key's content, the same in every packer (for a search split across threads).
//
// Why ids against a reference state? States are immutable and a step shares every part it did
// not change, so a child compared with its parent by object identity builds text only for the
// parts the step changed. Why no WeakMap caches? With millions of states, V8's ephemeron
// processing made garbage collection a quarter of the search's time.

import {
  domainKeyParts,
  globalKeyParts,
  maptrackKey,
  sameActiveGrant,
  sameEntry,
  sameMap,
  sameMapping,
  sameMaptrack,
  sameNumber,
  samePte,
} from './key.ts';
import type {
  ActiveGrant,
  DomainState,
  GrantMapping,
  GrantTable,
  HostMapping,
  Maptrack,
  ModelState,
  SharedEntry,
} from './state.ts';

/** Bits of the non-domain component (frame owners, contents, the caller's extra number). */
const GLOBAL_BITS = 12;
/** Packed keys stay below 2^52; a tuple whose ids do not fit is numbered from 2^52 instead. */
const PACKED_BITS = 52;
const OVERFLOW_BASE = 2 ** PACKED_BITS;
/** 2 ** GLOBAL_BITS, computed once: the hot paths below used to evaluate the power per key. */
const GLOBAL_LIMIT = 2 ** GLOBAL_BITS;
/** Rough V8 costs, for the `bytes` estimate: a Map entry, a string's header. */
const MAP_ENTRY_BYTES = 24;
const STRING_HEADER_BYTES = 16;
/** A slot of a JS array of objects. */
const POINTER_BYTES = 8;
/** An id's content hash (`ContentHashes`): two int32s. */
const HASH_PAIR_BYTES = 8;

/**
 * The fields of DomainState the key reads, each either a scalar packed into the domain's tuple
 * or a part interned by its text. A new field must be added here and to stateKey's domainKey;
 * test/unit/xenExplore/key.test.ts fails until it is.
 */
export const KEYED_DOMAIN_FIELDS: readonly (keyof DomainState)[] = [
  'id',
  'privileged',
  'pv',
  'totPages',
  'maxPages',
  'hostVaPages',
  'grantTable',
  'p2m',
  'maptrack',
  'hostMappings',
  'rawWritten',
  'death',
  'guest',
  'backend',
];

/** A domain's slots in an id vector: its own id, then one per part. */
const SCALARS = 0;
const P2M = 1;
const ENTRIES = 2;
const ACTIVE = 3;
const MAPTRACK = 4;
const HOST = 5;
const RAW = 6;
const DOMAIN_SLOTS = 7;
/** A domain's parts by name: their slots in an id vector (`scalars`: the domain's own slot,
 * whose tuple's first word is its scalars' id). What a footprint names (src/xenExplore). */
export const DOMAIN_PARTS = {
  scalars: SCALARS,
  p2m: P2M,
  entries: ENTRIES,
  active: ACTIVE,
  maptrack: MAPTRACK,
  host: HOST,
  raw: RAW,
} as const;
export type DomainPart = keyof typeof DOMAIN_PARTS;

/** The head of an id vector: the packed key, the global id, the owners' and contents' ids. */
const KEY = 0;
const GLOBAL = 1;
const OWNER = 2;
const CONTENTS = 3;
const HEAD = 4;

/** A domain's scalars, numbered apart (`scalarIds`): its tuple is their id, then its part ids
 * (word j is slot j). Why apart? Most steps keep a domain's scalars, which then keep their id:
 * the tuple hashed and compared per changed domain is 7 words, not 14. */
const SCALAR_WORDS = 8;

export interface PackedKeyOptions {
  /** A maptrack's part of its domain's key; exact (`maptrackKey`) by default. A quotient (a key
   * equal for states that differ only by a renaming of handles) makes the packed key a key of
   * orbits; it must distinguish everything else. */
  readonly maptrackKey?: (mt: Maptrack) => string;
  /** The structural shortcut (`PartShortcut`) to `maptrackKey`'s ids; without it a custom
   * `maptrackKey` always builds its text. */
  readonly maptrackShortcut?: PartShortcut<Maptrack>;
  /** A grant table's shared entries' part of its domain's key, which may read its active
   * entries; exact (`domainKeyParts.entries`) by default. Like `maptrackKey`, a quotient must
   * distinguish everything else (src/xenExplore/quotients.ts). */
  readonly entriesKey?: (entries: GrantTable['entries'], active: GrantTable['active']) => string;
  /** The structural shortcut to `entriesKey`'s ids (of the whole grant table: the key may read
   * the active entries too); without it a custom `entriesKey` always builds its text. */
  readonly entriesShortcut?: PartShortcut<GrantTable>;
  /** Number parts by their key texts alone, no shortcut (the slow path the tests compare with). */
  readonly textOnly?: boolean;
  /** Build the text of every part a shortcut numbered too, and throw when the two ids differ
   * (test/unit/xenExplore/keyShortcuts.test.ts). */
  readonly checkShortcuts?: boolean;
}

/**
 * A structural way to a part's id without its key text. Contract: `same(a, b)` implies that
 * `a` and `b` have equal key texts (it may answer false for some that have: those go the text
 * way, which is exact), and `hash(a) === hash(b)` whenever `same(a, b)`.
 */
export interface PartShortcut<T> {
  hash(x: T): number;
  same(a: T, b: T): boolean;
}

/**
 * The fields each shortcut's `same` compares, by record. A field added to one of these records
 * and to its key text (./key.ts) but not to the shortcut would merge parts whose texts differ:
 * `SHORTCUT_FIELDS_COVERED` stops compiling until the field is listed here, and
 * test/unit/xenExplore/keyShortcuts.test.ts checks that the shortcuts tell apart two parts that
 * differ in any one listed field.
 */
export const SHORTCUT_FIELDS = {
  entry: ['flags', 'domid', 'frame'],
  active: ['grantee', 'mfn', 'hostWritable', 'hostReadonly', 'deviceWritable', 'deviceReadonly'],
  mapping: ['granter', 'ref', 'flags', 'vcpu'],
  pte: ['mfn', 'writable'],
  maptrack: ['limit', 'maxFrames', 'freeList', 'otherFreeLists', 'mappings'],
} as const;

/** true when `Fields` names every field of `T`. */
type Covers<T, Fields extends readonly PropertyKey[]> = [Exclude<keyof T, Fields[number]>] extends [
  never,
]
  ? true
  : false;

/** Compiles only while SHORTCUT_FIELDS names every field of its records. */
export const SHORTCUT_FIELDS_COVERED: [
  Covers<SharedEntry, typeof SHORTCUT_FIELDS.entry>,
  Covers<ActiveGrant, typeof SHORTCUT_FIELDS.active>,
  Covers<GrantMapping, typeof SHORTCUT_FIELDS.mapping>,
  Covers<HostMapping, typeof SHORTCUT_FIELDS.pte>,
  Covers<Maptrack, typeof SHORTCUT_FIELDS.maptrack>,
] = [true, true, true, true, true];

/** One step of FNV-1a over a 32-bit word. */
export function mixWord(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193);
}

/** The start of a hash. */
export const HASH_SEED = 0x811c9dc5;

/** A finished word (murmur3's fmix32): spreads every input bit, so that sums of finished words
 * (an order-free hash of a set) do not cancel. */
export function finishWord(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Map hashes are order-free sums (a Map iterates in insertion order; key texts sort keys). */
function numberMapHash(m: ReadonlyMap<number, number>): number {
  let sum = m.size;
  for (const [k, v] of m) sum = (sum + finishWord(mixWord(mixWord(HASH_SEED, k), v))) | 0;
  return sum;
}

const sameNumberMap = (a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean =>
  sameMap(a, b, sameNumber);

/** The exact shared entries' hash (of the grant table: see `PackedKeyOptions.entriesShortcut`). */
export function entriesHash(gt: GrantTable): number {
  let sum = gt.entries.size;
  for (const [k, e] of gt.entries) {
    const h = mixWord(mixWord(mixWord(mixWord(HASH_SEED, k), e.flags), e.domid), e.frame);
    sum = (sum + finishWord(h)) | 0;
  }
  return sum;
}

/** Equal shared entries (equal `entryKey` texts, ref for ref). */
export const sameEntries = (a: GrantTable['entries'], b: GrantTable['entries']): boolean =>
  sameMap(a, b, sameEntry);

function activeHash(m: GrantTable['active']): number {
  let sum = m.size;
  for (const [k, a] of m) {
    let h = mixWord(mixWord(mixWord(HASH_SEED, k), a.grantee), a.mfn);
    h = mixWord(mixWord(h, a.hostWritable), a.hostReadonly);
    h = mixWord(mixWord(h, a.deviceWritable), a.deviceReadonly);
    sum = (sum + finishWord(h)) | 0;
  }
  return sum;
}

export const sameActive = (a: GrantTable['active'], b: GrantTable['active']): boolean =>
  sameMap(a, b, sameActiveGrant);

function hostHash(m: DomainState['hostMappings']): number {
  let sum = m.size;
  for (const [k, p] of m) {
    sum =
      (sum + finishWord(mixWord(mixWord(mixWord(HASH_SEED, k), p.mfn), p.writable ? 1 : 0))) | 0;
  }
  return sum;
}

export const sameHost = (a: DomainState['hostMappings'], b: DomainState['hostMappings']): boolean =>
  sameMap(a, b, samePte);

/** A mapping's content (what `mappingKey` prints: granter, ref, flags, a vCPU other than 0). */
export function mappingHash(m: GrantMapping): number {
  return mixWord(mixWord(mixWord(mixWord(HASH_SEED, m.granter), m.ref), m.flags), m.vcpu ?? 0);
}

/** Equal mappings (equal `mappingKey` texts): ./key.ts's, for src/xenExplore/handles.ts. */
export { sameMapping };

/** The shortcut to the exact `maptrackKey`: limit, every free list run for run, every mapping by
 * handle. */
export const exactMaptrackShortcut: PartShortcut<Maptrack> = {
  hash(mt) {
    let sum = mixWord(mixWord(mixWord(HASH_SEED, mt.limit), mt.maxFrames), mt.freeList.length);
    for (const l of mt.otherFreeLists ?? []) sum = mixWord(sum, l.length);
    sum = (sum + mt.mappings.size) | 0;
    for (const [h, m] of mt.mappings) sum = (sum + finishWord(mixWord(mappingHash(m), h))) | 0;
    return sum;
  },
  same: (a, b) => sameMaptrack(a, b),
};

const exactEntriesShortcut: PartShortcut<GrantTable> = {
  hash: entriesHash,
  same: (a, b) => sameEntries(a.entries, b.entries),
};

/** Parts already numbered, found again by hash and `PartShortcut.same`: a hit is the id the
 * part's text would have been given, without building the text. An open-addressing table
 * (linear probing, load at most 1/2) over the first part seen of each structural variant. */
class ShortcutTable<T> {
  private slots = new Int32Array(64).fill(-1);
  private readonly hashes: number[] = [];
  private readonly reps: T[] = [];
  private readonly ids: number[] = [];
  /** Parts found (for the tests: a shortcut never hit tests nothing). */
  hits = 0;

  constructor(readonly shortcut: PartShortcut<T>) {}

  get size(): number {
    return this.reps.length;
  }

  get bytes(): number {
    return this.slots.byteLength + this.reps.length * 3 * POINTER_BYTES;
  }

  /** The id of a part `same` as one added, or -1; `h` is `x`'s hash. */
  find(x: T, h: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = slots[slot] ?? -1;
      if (e < 0) return -1;
      if (this.hashes[e] === h && this.shortcut.same(this.reps[e] as T, x)) {
        return this.ids[e] ?? -1;
      }
    }
  }

  add(x: T, h: number, id: number): void {
    const e = this.reps.length;
    this.reps.push(x);
    this.hashes.push(h);
    this.ids.push(id);
    if ((e + 1) * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2).fill(-1);
      for (let i = 0; i <= e; i++) this.place(i);
    } else {
      this.place(e);
    }
  }

  private place(e: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = (this.hashes[e] ?? 0) & mask;
    while ((slots[slot] ?? -1) >= 0) slot = (slot + 1) & mask;
    slots[slot] = e;
  }
}

/**
 * Content hashes: 64 bits of what an id stands for (a part's key text, a tuple's words), as two
 * 32-bit halves computed by two unrelated functions, so that together they behave like one
 * 64-bit hash. Why? An id is the order in which a table met its texts, so the same id names
 * different content in two threads' tables; a content hash names the same content in all.
 */
export interface ContentHashes {
  /** The low half of id `id`'s content hash. */
  hashLo(id: number): number;
  /** The high half. */
  hashHi(id: number): number;
}

/** murmur3's body step: the high halves' mix (the low halves' is FNV-1a, `mixWord`). */
function murmurStep(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The seed of the high halves (the low halves start from HASH_SEED). */
const HASH_SEED_HI = 0x9747b28c;

/** A text's content hash, low half: FNV-1a over its char codes. */
function textHashLo(text: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < text.length; i++) h = mixWord(h, text.charCodeAt(i));
  return finishWord(h ^ text.length);
}

/** A text's content hash, high half: murmur3 over its char codes. */
function textHashHi(text: string): number {
  let h = HASH_SEED_HI;
  for (let i = 0; i < text.length; i++) h = murmurStep(h, text.charCodeAt(i));
  return finishWord(h ^ text.length);
}

/** A 32-bit word of a tuple's low half: FNV-1a of finished words. Why finish? FNV-1a's multiply
 * carries a word's high bits nowhere lower, and raw scalars (small numbers) differ low. */
const tupleLo = (h: number, x: number): number => mixWord(h, finishWord(x));

/** Room for `n` hash pairs (lo, hi interleaved) in `a`, grown by doubling. */
function withRoom(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (n * 2 <= a.length) return a;
  const grown = new Int32Array(Math.max(a.length * 2, n * 2));
  grown.set(a);
  return grown;
}

/** Dense ids for strings, with an estimate of the bytes they hold and each text's content hash;
 * optionally the first object each text was made from (for decoding). */
class Interner<T = unknown> implements ContentHashes {
  private readonly ids = new Map<string, number>();
  readonly objects: T[] = [];
  /** Per id, its text's content hash: low half at 2 id, high half at 2 id + 1. */
  private hashes = new Int32Array(64);
  bytes = 0;

  get size(): number {
    return this.ids.size;
  }

  id(text: string, object?: T): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(text, id);
      this.hashes = withRoom(this.hashes, id + 1);
      this.hashes[2 * id] = textHashLo(text);
      this.hashes[2 * id + 1] = textHashHi(text);
      this.bytes += MAP_ENTRY_BYTES + STRING_HEADER_BYTES + text.length + HASH_PAIR_BYTES;
      if (object !== undefined) {
        this.objects[id] = object;
        this.bytes += POINTER_BYTES;
      }
    }
    return id;
  }

  hashLo(id: number): number {
    return this.hashes[2 * id] ?? 0;
  }

  hashHi(id: number): number {
    return this.hashes[2 * id + 1] ?? 0;
  }
}

function hashTuple(words: readonly number[], arity: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < arity; i++) h = Math.imul(h ^ (words[i] ?? 0), 0x01000193);
  return h ^ (h >>> 15);
}

/** `hashTuple` of a stored tuple. Why two? One function read both arrays and typed arrays, and
 * its element loads were polymorphic on the hot path. */
function hashStored(words: Int32Array, at: number, arity: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < arity; i++) h = Math.imul(h ^ (words[at + i] ?? 0), 0x01000193);
  return h ^ (h >>> 15);
}

/** Dense ids for fixed-length tuples of non-negative int32s: an open-addressing table (linear
 * probing, load at most 1/2) over a flat column of the tuples. */
export class TupleInterner implements ContentHashes {
  private words: Int32Array;
  private table: Int32Array;
  private count = 0;
  /** Per word, where its content hash comes from (`contentOf`); undefined: no content hashes. */
  private readonly contentOf: readonly (ContentHashes | null)[] | undefined;
  /** Per id, its content hash: low half at 2 id, high half at 2 id + 1. */
  private hashes = new Int32Array(0);

  /**
   * With `contentOf` (one entry per word), each tuple gets a content hash when numbered, from its
   * words' (`ContentHashes`): word `i` is an id of `contentOf[i]`'s, or a raw number when null
   * (then the number is its own hash). It is the same however the word's ids were given (by
   * text, or `StateKeyPacker.domainIdWith` from other ids).
   */
  constructor(
    readonly arity: number,
    contentOf?: readonly (ContentHashes | null)[],
  ) {
    if (contentOf !== undefined && contentOf.length !== arity) {
      throw new RangeError(`tuple interner: ${contentOf.length} word hashes for ${arity} words`);
    }
    this.contentOf = contentOf;
    this.words = new Int32Array(arity * 64);
    this.table = new Int32Array(128).fill(-1);
    if (contentOf) this.hashes = new Int32Array(128);
  }

  get bytes(): number {
    return this.words.byteLength + this.table.byteLength + this.hashes.byteLength;
  }

  get size(): number {
    return this.count;
  }

  /** Word `i` of tuple `id`. */
  word(id: number, i: number): number {
    return this.words[id * this.arity + i] ?? 0;
  }

  /** The low half of tuple `id`'s content hash (0 without `contentOf`). */
  hashLo(id: number): number {
    return this.hashes[2 * id] ?? 0;
  }

  /** The high half. */
  hashHi(id: number): number {
    return this.hashes[2 * id + 1] ?? 0;
  }

  /** The id of the tuple in `tuple[0..arity)`. */
  id(tuple: readonly number[]): number {
    const { arity, words } = this;
    const table = this.table;
    const mask = table.length - 1;
    let slot = hashTuple(tuple, arity) & mask;
    for (;;) {
      const at = table[slot] ?? -1;
      if (at < 0) break;
      let i = 0;
      const base = at * arity;
      while (i < arity && words[base + i] === tuple[i]) i++;
      if (i === arity) return at;
      slot = (slot + 1) & mask;
    }
    const id = this.count++;
    if ((id + 1) * arity > this.words.length) {
      const grown = new Int32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    for (let i = 0; i < arity; i++) this.words[id * arity + i] = tuple[i] ?? 0;
    if (this.contentOf) this.hashContent(id, tuple, this.contentOf);
    if (this.count * 2 > table.length) this.rehash(table.length * 2);
    else table[slot] = id;
    return id;
  }

  /** Tuple `id`'s content hash: its words' hashes, mixed in order, each half by its own mix. */
  private hashContent(
    id: number,
    tuple: readonly number[],
    contentOf: readonly (ContentHashes | null)[],
  ): void {
    let lo = HASH_SEED;
    let hi = HASH_SEED_HI;
    for (let i = 0; i < this.arity; i++) {
      const x = tuple[i] ?? 0;
      const of = contentOf[i] ?? null;
      lo = tupleLo(lo, of ? of.hashLo(x) : x);
      hi = murmurStep(hi, of ? of.hashHi(x) : x);
    }
    this.hashes = withRoom(this.hashes, id + 1);
    this.hashes[2 * id] = finishWord(lo ^ this.arity);
    this.hashes[2 * id + 1] = finishWord(hi ^ this.arity);
  }

  private rehash(size: number): void {
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = hashStored(this.words, id * this.arity, this.arity) & mask;
      while ((table[slot] ?? -1) >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}

/** A fingerprint's halves written as 32-bit words, read as one 64-bit one. Why not
 * `(BigInt(hi) << 32n) | BigInt(lo)`? That makes three BigInts where this makes one: about 22 ns
 * a call against 32 (fingerprint whole: about 55 ns against 80, 200 000 keys of the basic preset). */
const FINGERPRINT_HALVES = new Uint32Array(2);
const FINGERPRINT = new BigUint64Array(FINGERPRINT_HALVES.buffer);
/** The word of FINGERPRINT_HALVES that is the low half (the platform's byte order). */
const LOW_HALF = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

/** A state whose id vector is known (see `StateKeyPacker.ids`). */
export interface KeyedState {
  readonly model: ModelState;
  readonly ids: readonly number[];
}

/**
 * Packs model states into exact numeric keys (0 <= key < 2^53). Layout: the global id in the
 * low GLOBAL_BITS bits, then one field per domain of (52 - GLOBAL_BITS) / D bits; a state with an
 * id too large for its field is numbered 2^52 + (its index in a tuple table) instead. Either way,
 * equal keys iff equal id tuples iff equal part texts and scalars.
 */
export class StateKeyPacker {
  private readonly maptrackPiece: (mt: Maptrack) => string;
  /** undefined: the exact entries key, which reads the entries alone. */
  private readonly entriesPiece:
    ((entries: GrantTable['entries'], active: GrantTable['active']) => string) | undefined;
  private readonly parts = {
    p2m: new Interner(),
    entries: new Interner(),
    active: new Interner(),
    maptrack: new Interner(),
    host: new Interner(),
    raw: new Interner(),
    owner: new Interner<ModelState['frameOwner']>(),
    contents: new Interner<ModelState['contents']>(),
  };
  /** Structural shortcuts to the parts' ids (`PartShortcut`); undefined: text only. */
  private readonly shortcuts: {
    readonly p2m?: ShortcutTable<DomainState['p2m']>;
    readonly entries?: ShortcutTable<GrantTable>;
    readonly active?: ShortcutTable<GrantTable['active']>;
    readonly maptrack?: ShortcutTable<Maptrack>;
    readonly host?: ShortcutTable<DomainState['hostMappings']>;
  };
  private readonly checkShortcuts: boolean;
  /** The entries' key text of a grant table (exact or `entriesKey`). */
  private readonly entriesText: (gt: GrantTable) => string;
  /** Per domain index, the first DomainState numbered with each id: what `decode` returns. */
  private readonly domainObjects: DomainState[][];
  private readonly domainIds: TupleInterner[];
  /** (extra, owners' id, contents' id); extra is a raw number. */
  private readonly globalIds = new TupleInterner(3, [null, this.parts.owner, this.parts.contents]);
  private readonly overflow: TupleInterner;
  private readonly scalarIds = new TupleInterner(
    SCALAR_WORDS,
    new Array<null>(SCALAR_WORDS).fill(null),
  );
  private readonly scalarTuple = new Array<number>(SCALAR_WORDS).fill(0);
  private readonly domainTuple = new Array<number>(DOMAIN_SLOTS).fill(0);
  private readonly stateTuple: number[];
  private readonly globalTuple = [0, 0, 0];
  /** `domainIdIn`'s id vector (only the slot numbered is written). */
  private readonly slotScratch: number[];
  private readonly domainLimit: number;
  /** Per domain index, the place value of its field in a packed key. */
  private readonly domainScales: number[];

  constructor(
    readonly domains: number,
    options: PackedKeyOptions = {},
  ) {
    this.maptrackPiece = options.maptrackKey ?? maptrackKey;
    const entriesPiece = options.entriesKey;
    this.entriesPiece = entriesPiece;
    this.entriesText = entriesPiece
      ? (gt) => entriesPiece(gt.entries, gt.active)
      : (gt) => domainKeyParts.entries(gt.entries);
    // A custom key has a shortcut only if its caller gives one: the packer cannot know what the
    // custom key identifies.
    const maptrackCut = options.maptrackKey ? options.maptrackShortcut : exactMaptrackShortcut;
    const entriesCut = options.entriesKey ? options.entriesShortcut : exactEntriesShortcut;
    const table = <T>(cut: PartShortcut<T> | undefined): ShortcutTable<T> | undefined =>
      cut && !options.textOnly ? new ShortcutTable(cut) : undefined;
    this.shortcuts = {
      p2m: table({ hash: numberMapHash, same: sameNumberMap }),
      entries: table(entriesCut),
      active: table({ hash: activeHash, same: sameActive }),
      maptrack: table(maptrackCut),
      host: table({ hash: hostHash, same: sameHost }),
    };
    this.checkShortcuts = options.checkShortcuts ?? false;
    // A domain tuple's words by slot: its scalars' id, then its parts' ids.
    const slotContent = new Array<ContentHashes>(DOMAIN_SLOTS);
    slotContent[SCALARS] = this.scalarIds;
    slotContent[P2M] = this.parts.p2m;
    slotContent[ENTRIES] = this.parts.entries;
    slotContent[ACTIVE] = this.parts.active;
    slotContent[MAPTRACK] = this.parts.maptrack;
    slotContent[HOST] = this.parts.host;
    slotContent[RAW] = this.parts.raw;
    this.domainIds = Array.from(
      { length: domains },
      () => new TupleInterner(DOMAIN_SLOTS, slotContent),
    );
    this.domainObjects = Array.from({ length: domains }, () => []);
    this.overflow = new TupleInterner(domains + 1);
    this.stateTuple = new Array<number>(domains + 1).fill(0);
    this.slotScratch = new Array<number>(HEAD + domains * DOMAIN_SLOTS).fill(0);
    this.domainLimit = 2 ** Math.floor((PACKED_BITS - GLOBAL_BITS) / Math.max(1, domains));
    this.domainScales = Array.from(
      { length: domains },
      (_, i) => GLOBAL_LIMIT * this.domainLimit ** i,
    );
  }

  /** The key of an id vector. */
  static key(ids: readonly number[]): number {
    return ids[KEY] ?? -1;
  }

  /** The key of `m` with `extra` (a non-negative integer kept beside the model state, such as a
   * ghost) folded in. */
  key(m: ModelState, extra = 0): number {
    return StateKeyPacker.key(this.ids(m, extra));
  }

  /**
   * The id vector of `m` (its key first). With `near` (a state whose vector this packer made,
   * typically the parent), every part that is the same object as `near`'s keeps its id. Written
   * into `into` when given (a scratch vector of `vectorLength`, not `near`'s), else a new array.
   */
  ids(m: ModelState, extra: number, near?: KeyedState, into?: number[]): number[] {
    const n = this.domains;
    if (m.domains.length !== n) {
      throw new RangeError(`packed key: ${m.domains.length} domains, packer built for ${n}`);
    }
    // Why fill? A holey array is slower to read and write than a packed one of small integers.
    const out = into ?? new Array<number>(this.vectorLength).fill(0);
    const ref = near?.model;
    const rids = near?.ids;
    // the global part: frame owners, contents, extra
    out[OWNER] =
      ref && rids && m.frameOwner === ref.frameOwner
        ? (rids[OWNER] ?? 0)
        : this.parts.owner.id(globalKeyParts.frameOwner(m.frameOwner), m.frameOwner);
    out[CONTENTS] =
      ref && rids && m.contents === ref.contents
        ? (rids[CONTENTS] ?? 0)
        : this.parts.contents.id(globalKeyParts.contents(m.contents), m.contents);
    let globalId: number;
    const rGlobal = rids?.[GLOBAL] ?? -1;
    if (
      rGlobal >= 0 &&
      out[OWNER] === rids?.[OWNER] &&
      out[CONTENTS] === rids?.[CONTENTS] &&
      this.globalIds.word(rGlobal, 0) === extra
    ) {
      globalId = rGlobal; // the reference's global tuple
    } else {
      const g = this.globalTuple;
      g[0] = extra;
      g[1] = out[OWNER];
      g[2] = out[CONTENTS];
      globalId = this.globalIds.id(g);
    }
    out[GLOBAL] = globalId;
    let fits = globalId < GLOBAL_LIMIT;
    let key = globalId;
    let scale = GLOBAL_LIMIT;
    const st = this.stateTuple;
    st[0] = globalId;
    for (let i = 0; i < n; i++) {
      const d = m.domains[i] as DomainState;
      const at = HEAD + i * DOMAIN_SLOTS;
      const rd = ref?.domains[i];
      if (rd === d && rids) {
        for (let j = 0; j < DOMAIN_SLOTS; j++) out[at + j] = rids[at + j] ?? 0;
      } else {
        this.domainIdsOf(i, d, out, at, rd, rids);
      }
      const id = out[at] ?? 0;
      st[i + 1] = id;
      if (id >= this.domainLimit) fits = false;
      key += id * scale;
      scale *= this.domainLimit;
    }
    out[KEY] = fits ? key : OVERFLOW_BASE + this.overflow.id(st);
    return out;
  }

  /** The frame owners' id in an id vector. */
  static ownersId(ids: readonly number[]): number {
    return ids[OWNER] ?? -1;
  }

  /** Domain `i`'s id in an id vector. */
  static domainId(ids: readonly number[], i: number): number {
    return ids[HEAD + i * DOMAIN_SLOTS] ?? -1;
  }

  /**
   * The key of the state whose id vector is `ids` but for domain `i`, numbered `domainId` (an id
   * this packer gave), and the extra number `extra`: what `ids` would return for that state, with
   * no text built and no part looked at. For the step memo, which knows a successor's domain id.
   * With `j` >= 0 (not `i`), domain `j` is numbered `otherId` too (a two-domain op's successor).
   */
  keyReplacing(
    ids: readonly number[],
    i: number,
    domainId: number,
    extra: number,
    j = -1,
    otherId = 0,
  ): number {
    // Most successors keep the parent's extra number and fit the packed layout: the parent's key
    // with one field (or two) rewritten, no table looked at.
    const parentKey = ids[KEY] ?? OVERFLOW_BASE;
    const parentGlobal = ids[GLOBAL] ?? 0;
    if (
      parentKey < OVERFLOW_BASE &&
      domainId < this.domainLimit &&
      (j < 0 || otherId < this.domainLimit) &&
      this.globalIds.word(parentGlobal, 0) === extra
    ) {
      const key =
        parentKey + (domainId - (ids[HEAD + i * DOMAIN_SLOTS] ?? 0)) * (this.domainScales[i] ?? 0);
      if (j < 0) return key;
      return key + (otherId - (ids[HEAD + j * DOMAIN_SLOTS] ?? 0)) * (this.domainScales[j] ?? 0);
    }
    const n = this.domains;
    const g = this.globalTuple;
    g[0] = extra;
    g[1] = ids[OWNER] ?? 0;
    g[2] = ids[CONTENTS] ?? 0;
    const globalId = this.globalIds.id(g);
    let fits = globalId < GLOBAL_LIMIT;
    let key = globalId;
    let scale = GLOBAL_LIMIT;
    const st = this.stateTuple;
    st[0] = globalId;
    for (let k = 0; k < n; k++) {
      const id = k === i ? domainId : k === j ? otherId : (ids[HEAD + k * DOMAIN_SLOTS] ?? 0);
      st[k + 1] = id;
      if (id >= this.domainLimit) fits = false;
      key += id * scale;
      scale *= this.domainLimit;
    }
    return fits ? key : OVERFLOW_BASE + this.overflow.id(st);
  }

  /** Part `slot` (DOMAIN_PARTS) of domain `i` in an id vector: its part id, or, for
   * `scalars`, the id of the domain's scalars. */
  domainPart(ids: readonly number[], i: number, slot: number): number {
    const at = HEAD + i * DOMAIN_SLOTS;
    if (slot !== SCALARS) return ids[at + slot] ?? -1;
    return (this.domainIds[i] as TupleInterner).word(ids[at] ?? 0, 0);
  }

  /**
   * The id of domain `i` of id vector `ids` with some of its parts replaced: `parts[k]` (a
   * DOMAIN_PARTS slot, not `scalars`) numbered `partIds[k]`, ids this packer gave. No text is
   * built and no part looked at. For the step memo, which knows a successor's part ids; the id
   * may be new, with no object yet (`decode` needs one: the first `ids` of a state with that
   * domain gives it).
   */
  domainIdWith(
    ids: readonly number[],
    i: number,
    parts: readonly number[],
    partIds: readonly number[],
  ): number {
    const at = HEAD + i * DOMAIN_SLOTS;
    const table = this.domainIds[i] as TupleInterner;
    const t = this.domainTuple;
    t[0] = table.word(ids[at] ?? 0, 0);
    for (let j = 1; j < DOMAIN_SLOTS; j++) t[j] = ids[at + j] ?? 0;
    for (let k = 0; k < parts.length; k++) t[parts[k] ?? 0] = partIds[k] ?? 0;
    return table.id(t);
  }

  /**
   * A 64-bit hash of the content key `key` (one this packer made) identifies: of its global
   * tuple's and its domains' content hashes (`ContentHashes`), so equal in every packer of the same
   * options for states of equal keyed content, whatever ids each gave them. Never 0 (0 is 1).
   */
  fingerprint(key: number): bigint {
    const n = this.domains;
    const arity = n + 1;
    let global: number;
    let rest = 0;
    let at = 0;
    const overflowed = key >= OVERFLOW_BASE;
    if (overflowed) {
      at = key - OVERFLOW_BASE;
      global = this.overflow.word(at, 0);
    } else {
      global = key % GLOBAL_LIMIT;
      rest = Math.floor(key / GLOBAL_LIMIT);
    }
    let lo = tupleLo(HASH_SEED, this.globalIds.hashLo(global));
    let hi = murmurStep(HASH_SEED_HI, this.globalIds.hashHi(global));
    for (let i = 0; i < n; i++) {
      let id: number;
      if (overflowed) id = this.overflow.word(at, i + 1);
      else {
        id = rest % this.domainLimit;
        rest = Math.floor(rest / this.domainLimit);
      }
      const table = this.domainIds[i] as TupleInterner;
      lo = tupleLo(lo, table.hashLo(id));
      hi = murmurStep(hi, table.hashHi(id));
    }
    lo = finishWord(lo ^ arity);
    hi = finishWord(hi ^ arity);
    if (lo === 0 && hi === 0) return 1n;
    FINGERPRINT_HALVES[LOW_HALF] = lo;
    FINGERPRINT_HALVES[1 - LOW_HALF] = hi;
    return FINGERPRINT[0] ?? 1n;
  }

  /** Has every domain id of key `key` (one this packer made) its object (see `domainIdWith`)? */
  hasDomainObjects(key: number): boolean {
    for (let i = 0; i < this.domains; i++) {
      if (this.domainObjects[i]?.[this.domainIdOfKey(key, i)] === undefined) return false;
    }
    return true;
  }

  // --- A key's tuple, for renamings of whole domains (src/xenExplore/domainSymmetry.ts): a
  // renamed state's key is made from the renamed domains' and globals' ids, numbered once each.

  /** The tuple of key `key` (one this packer made) into `into`: the global id, then each
   * domain's id. */
  keyTuple(key: number, into: number[]): void {
    const n = this.domains;
    if (key >= OVERFLOW_BASE) {
      const at = key - OVERFLOW_BASE;
      for (let i = 0; i <= n; i++) into[i] = this.overflow.word(at, i);
      return;
    }
    into[0] = key % GLOBAL_LIMIT;
    let rest = Math.floor(key / GLOBAL_LIMIT);
    for (let i = 1; i <= n; i++) {
      into[i] = rest % this.domainLimit;
      rest = Math.floor(rest / this.domainLimit);
    }
  }

  /** The key of a tuple (`keyTuple`'s layout) of ids this packer gave. */
  keyOfTuple(tuple: readonly number[]): number {
    const n = this.domains;
    const global = tuple[0] ?? 0;
    let fits = global < GLOBAL_LIMIT;
    let key = global;
    for (let i = 0; i < n; i++) {
      const id = tuple[i + 1] ?? 0;
      if (id >= this.domainLimit) fits = false;
      key += id * (this.domainScales[i] ?? 0);
    }
    return fits ? key : OVERFLOW_BASE + this.overflow.id(tuple);
  }

  /** The first DomainState numbered `id` in domain slot `i` (undefined: none yet). */
  domainObject(i: number, id: number): DomainState | undefined {
    return this.domainObjects[i]?.[id];
  }

  /** The id of `d` in domain slot `i`, numbered from its parts (and `d` kept as the id's object
   * when it has none). */
  domainIdIn(i: number, d: DomainState): number {
    const out = this.slotScratch;
    const at = HEAD + i * DOMAIN_SLOTS;
    this.domainIdsOf(i, d, out, at, undefined, undefined);
    return out[at] ?? 0;
  }

  /** The parts of global id `g`: the extra number, the frame owners and the contents. */
  globalParts(g: number): {
    extra: number;
    frameOwner: ModelState['frameOwner'];
    contents: ModelState['contents'];
  } {
    const frameOwner = this.parts.owner.objects[this.globalIds.word(g, 1)];
    const contents = this.parts.contents.objects[this.globalIds.word(g, 2)];
    if (!frameOwner || !contents) throw new RangeError(`packed key: no global id ${g}`);
    return { extra: this.globalIds.word(g, 0), frameOwner, contents };
  }

  /** The global id of these parts. */
  globalIdOf(
    extra: number,
    frameOwner: ModelState['frameOwner'],
    contents: ModelState['contents'],
  ): number {
    const g = this.globalTuple;
    g[0] = extra;
    g[1] = this.parts.owner.id(globalKeyParts.frameOwner(frameOwner), frameOwner);
    g[2] = this.parts.contents.id(globalKeyParts.contents(contents), contents);
    return this.globalIds.id(g);
  }

  /** Domain `i`'s id in a key this packer made (what `decode` reads back). */
  domainIdOfKey(key: number, i: number): number {
    if (key >= OVERFLOW_BASE) return this.overflow.word(key - OVERFLOW_BASE, i + 1);
    return Math.floor(key / (this.domainScales[i] ?? 1)) % this.domainLimit;
  }

  /** Fill domain `i`'s slots of `out` (at `at`), reusing `rd`'s part ids from `rids`. */
  private domainIdsOf(
    i: number,
    d: DomainState,
    out: number[],
    at: number,
    rd: DomainState | undefined,
    rids: readonly number[] | undefined,
  ): void {
    // A part that is the same object as the reference's keeps its id (-1: look it up).
    const r = rids === undefined ? undefined : rd;
    const gt = d.grantTable;
    const rgt = r?.grantTable;
    const { parts } = this;
    out[at + P2M] = r?.p2m === d.p2m ? (rids?.[at + P2M] ?? -1) : -1;
    // A quotient entries key reads the active entries too: reused only when both are the same.
    const sameEntries =
      rgt?.entries === gt.entries && (this.entriesPiece === undefined || rgt.active === gt.active);
    out[at + ENTRIES] = sameEntries ? (rids?.[at + ENTRIES] ?? -1) : -1;
    out[at + ACTIVE] = rgt?.active === gt.active ? (rids?.[at + ACTIVE] ?? -1) : -1;
    out[at + MAPTRACK] = r?.maptrack === d.maptrack ? (rids?.[at + MAPTRACK] ?? -1) : -1;
    out[at + HOST] = r?.hostMappings === d.hostMappings ? (rids?.[at + HOST] ?? -1) : -1;
    // The raw-write ghost, the guest library and the backend driver (issue 14) share one part: a
    // strict domain's library and a domain that is no backend add nothing to its text.
    out[at + RAW] =
      r?.rawWritten === d.rawWritten && r?.guest === d.guest && r?.backend === d.backend
        ? (rids?.[at + RAW] ?? -1)
        : -1;
    const cuts = this.shortcuts;
    if (out[at + P2M] === -1) {
      out[at + P2M] = this.partId(parts.p2m, cuts.p2m, d.p2m, domainKeyParts.p2m);
    }
    if (out[at + ENTRIES] === -1) {
      out[at + ENTRIES] = this.partId(parts.entries, cuts.entries, gt, this.entriesText);
    }
    if (out[at + ACTIVE] === -1) {
      out[at + ACTIVE] = this.partId(parts.active, cuts.active, gt.active, domainKeyParts.active);
    }
    if (out[at + MAPTRACK] === -1) {
      out[at + MAPTRACK] = this.partId(
        parts.maptrack,
        cuts.maptrack,
        d.maptrack,
        this.maptrackPiece,
      );
    }
    if (out[at + HOST] === -1) {
      out[at + HOST] = this.partId(
        parts.host,
        cuts.host,
        d.hostMappings,
        domainKeyParts.hostMappings,
      );
    }
    if (out[at + RAW] === -1) {
      out[at + RAW] = parts.raw.id(
        domainKeyParts.rawWritten(d.rawWritten) +
          domainKeyParts.guest(d.guest) +
          domainKeyParts.backend(d.backend),
      );
    }
    const table = this.domainIds[i] as TupleInterner;
    const t = this.domainTuple;
    // The reference's scalars' id when every scalar is the reference's (they are what the scalar
    // tuple below holds: equal fields, equal tuple).
    t[0] =
      r !== undefined &&
      rgt !== undefined &&
      d.id === r.id &&
      d.privileged === r.privileged &&
      d.death === r.death &&
      d.pv === r.pv &&
      d.totPages === r.totPages &&
      d.maxPages === r.maxPages &&
      d.hostVaPages === r.hostVaPages &&
      gt.nrFrames === rgt.nrFrames &&
      gt.maxFrames === rgt.maxFrames
        ? table.word(rids?.[at] ?? 0, 0)
        : this.scalarsId(d);
    for (let j = 1; j < DOMAIN_SLOTS; j++) t[j] = out[at + j] ?? 0;
    const id = table.id(t);
    const objects = this.domainObjects[i] as DomainState[];
    // An id may have been numbered before any object of it (`domainIdWith`): the first object
    // met is its object then.
    if (objects[id] === undefined) objects[id] = d;
    out[at] = id;
  }

  /**
   * The id of part `x`: through its shortcut table when it has one (a part structurally the same
   * as one numbered before has that one's id), else, and on a miss, by its key text.
   */
  private partId<T>(
    interner: Interner,
    table: ShortcutTable<T> | undefined,
    x: T,
    text: (x: T) => string,
  ): number {
    if (table === undefined) return interner.id(text(x));
    const h = table.shortcut.hash(x);
    const found = table.find(x, h);
    if (found >= 0) table.hits++;
    if (found >= 0 && !this.checkShortcuts) return found;
    const id = interner.id(text(x));
    if (found < 0) table.add(x, h, id);
    else if (found !== id) {
      throw new Error(`packed key: shortcut gave part id ${found}, its text ${id} (${text(x)})`);
    }
    return id;
  }

  /** The id of a domain's scalars. */
  private scalarsId(d: DomainState): number {
    const t = this.scalarTuple;
    t[0] = d.id;
    // bit 0: privileged; bits 1-2: death (docs/semantics.md §17), 0 while alive
    t[1] = (d.privileged ? 1 : 0) | (d.death === undefined ? 0 : d.death === 'zombie' ? 2 : 4);
    t[2] = d.pv ? 1 : 0;
    t[3] = d.totPages;
    t[4] = d.maxPages;
    t[5] = d.hostVaPages;
    t[6] = d.grantTable.nrFrames;
    t[7] = d.grantTable.maxFrames;
    return this.scalarIds.id(t);
  }

  /** The length of an id vector. */
  get vectorLength(): number {
    return HEAD + this.domains * DOMAIN_SLOTS;
  }

  /**
   * A state with key `key` (one this packer made), its extra number and its id vector: every
   * part is the first object numbered with its id, so with a quotient maptrack key each domain's
   * maptrack is some member of its orbit. The state has no ghost (`flow`): the key leaves it out.
   */
  decode(key: number): { model: ModelState; extra: number; ids: number[] } {
    const n = this.domains;
    const st = this.stateTuple;
    this.keyTuple(key, st);
    const out = new Array<number>(this.vectorLength).fill(0);
    const g = st[0] ?? 0;
    out[KEY] = key;
    out[GLOBAL] = g;
    out[OWNER] = this.globalIds.word(g, 1);
    out[CONTENTS] = this.globalIds.word(g, 2);
    const domains: DomainState[] = [];
    for (let i = 0; i < n; i++) {
      const id = st[i + 1] ?? 0;
      const at = HEAD + i * DOMAIN_SLOTS;
      const table = this.domainIds[i] as TupleInterner;
      out[at] = id;
      for (let j = 1; j < DOMAIN_SLOTS; j++) out[at + j] = table.word(id, j);
      const d = this.domainObjects[i]?.[id];
      if (!d) throw new RangeError(`packed key: ${key} was not made by this packer`);
      domains.push(d);
    }
    const frameOwner = this.parts.owner.objects[out[OWNER] ?? 0];
    const contents = this.parts.contents.objects[out[CONTENTS] ?? 0];
    if (!frameOwner || !contents)
      throw new RangeError(`packed key: ${key} was not made by this packer`);
    return {
      model: { domains, frameOwner, contents, flow: undefined },
      extra: this.globalIds.word(g, 0),
      ids: out,
    };
  }

  /** Estimated bytes of the interning tables. */
  get bytes(): number {
    let b = this.globalIds.bytes + this.overflow.bytes + this.scalarIds.bytes;
    for (const t of this.domainIds) b += t.bytes;
    for (const o of this.domainObjects) b += o.length * POINTER_BYTES;
    for (const p of Object.values(this.parts)) b += p.bytes;
    for (const t of Object.values(this.shortcuts)) b += t?.bytes ?? 0;
    return b;
  }

  /** How many distinct parts, domains, globals and overflowed tuples have been numbered. */
  get counts(): {
    readonly parts: Readonly<Record<string, number>>;
    readonly domains: readonly number[];
    readonly globals: number;
    readonly overflow: number;
    /** Parts a shortcut numbered without their text. */
    readonly shortcutHits: number;
  } {
    const parts: Record<string, number> = {};
    for (const [k, p] of Object.entries(this.parts)) parts[k] = p.size;
    return {
      parts,
      domains: this.domainIds.map((t) => t.size),
      globals: this.globalIds.size,
      overflow: this.overflow.size,
      shortcutHits: Object.values(this.shortcuts).reduce((n, t) => n + (t?.hits ?? 0), 0),
    };
  }
}
