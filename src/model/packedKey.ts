// Exact numeric keys of model states for exhaustive search. Every part of a state (a domain's
// p2m, shared entries, active entries, maptrack, host mappings, raw-write ghost; the frame
// owners; the page contents) is interned to a small integer by its key text (src/model/key.ts),
// each domain to an integer by its scalars and part ids, and the state's ids are packed into
// one number. Interning is a bijection, so equal keys iff equal stateKey texts (or, with a
// quotient maptrack key, equal orbits): this is not hash compaction.
//
// Why ids against a reference state? States are immutable and a step shares every part it did
// not change, so a child compared with its parent by object identity builds text only for the
// parts the step changed. Why no WeakMap caches? With millions of states, V8's ephemeron
// processing made garbage collection a quarter of the search's time.

import { domainKeyParts, globalKeyParts, maptrackKey } from './key.ts';
import type { DomainState, GrantTable, Maptrack, ModelState } from './state.ts';

/** Bits of the non-domain component (frame owners, contents, the caller's extra number). */
const GLOBAL_BITS = 12;
/** Packed keys stay below 2^52; a tuple whose ids do not fit is numbered from 2^52 instead. */
const PACKED_BITS = 52;
const OVERFLOW_BASE = 2 ** PACKED_BITS;
/** Rough V8 costs, for the `bytes` estimate: a Map entry, a string's header. */
const MAP_ENTRY_BYTES = 24;
const STRING_HEADER_BYTES = 16;
/** A slot of a JS array of objects. */
const POINTER_BYTES = 8;

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
const P2M = 1;
const ENTRIES = 2;
const ACTIVE = 3;
const MAPTRACK = 4;
const HOST = 5;
const RAW = 6;
const DOMAIN_SLOTS = 7;
/** The head of an id vector: the packed key, the global id, the owners' and contents' ids. */
const KEY = 0;
const GLOBAL = 1;
const OWNER = 2;
const CONTENTS = 3;
const HEAD = 4;

/** A domain's scalars in its tuple (the part ids follow). */
const SCALARS = 8;

export interface PackedKeyOptions {
  /** A maptrack's part of its domain's key; exact (`maptrackKey`) by default. A quotient (a key
   * equal for states that differ only by a renaming of handles) makes the packed key a key of
   * orbits; it must distinguish everything else. */
  readonly maptrackKey?: (mt: Maptrack) => string;
  /** A grant table's shared entries' part of its domain's key, which may read its active
   * entries; exact (`domainKeyParts.entries`) by default. Like `maptrackKey`, a quotient must
   * distinguish everything else (src/xenExplore/staleEntries.ts). */
  readonly entriesKey?: (entries: GrantTable['entries'], active: GrantTable['active']) => string;
}

/** Dense ids for strings, with an estimate of the bytes they hold; optionally the first object
 * each text was made from (for decoding). */
class Interner<T = unknown> {
  private readonly ids = new Map<string, number>();
  readonly objects: T[] = [];
  bytes = 0;

  get size(): number {
    return this.ids.size;
  }

  id(text: string, object?: T): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(text, id);
      this.bytes += MAP_ENTRY_BYTES + STRING_HEADER_BYTES + text.length;
      if (object !== undefined) {
        this.objects[id] = object;
        this.bytes += POINTER_BYTES;
      }
    }
    return id;
  }
}

function hashTuple(words: ArrayLike<number>, at: number, arity: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < arity; i++) h = Math.imul(h ^ (words[at + i] ?? 0), 0x01000193);
  return h ^ (h >>> 15);
}

/** Dense ids for fixed-length tuples of non-negative int32s: an open-addressing table (linear
 * probing, load at most 1/2) over a flat column of the tuples. */
export class TupleInterner {
  private words: Int32Array;
  private table: Int32Array;
  private count = 0;

  constructor(readonly arity: number) {
    this.words = new Int32Array(arity * 64);
    this.table = new Int32Array(128).fill(-1);
  }

  get bytes(): number {
    return this.words.byteLength + this.table.byteLength;
  }

  get size(): number {
    return this.count;
  }

  /** Word `i` of tuple `id`. */
  word(id: number, i: number): number {
    return this.words[id * this.arity + i] ?? 0;
  }

  /** The id of the tuple in `tuple[0..arity)`. */
  id(tuple: ArrayLike<number>): number {
    const { arity, words } = this;
    const table = this.table;
    const mask = table.length - 1;
    let slot = hashTuple(tuple, 0, arity) & mask;
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
    if (this.count * 2 > table.length) this.rehash(table.length * 2);
    else table[slot] = id;
    return id;
  }

  private rehash(size: number): void {
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = hashTuple(this.words, id * this.arity, this.arity) & mask;
      while ((table[slot] ?? -1) >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}

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
  /** Per domain index, the first DomainState numbered with each id: what `decode` returns. */
  private readonly domainObjects: DomainState[][];
  private readonly domainIds: TupleInterner[];
  private readonly globalIds = new TupleInterner(3);
  private readonly overflow: TupleInterner;
  private readonly domainTuple = new Array<number>(SCALARS + DOMAIN_SLOTS - 1).fill(0);
  private readonly stateTuple: number[];
  private readonly globalTuple = [0, 0, 0];
  private readonly domainLimit: number;
  /** Per domain index, the place value of its field in a packed key. */
  private readonly domainScales: number[];

  constructor(
    readonly domains: number,
    options: PackedKeyOptions = {},
  ) {
    this.maptrackPiece = options.maptrackKey ?? maptrackKey;
    this.entriesPiece = options.entriesKey;
    this.domainIds = Array.from(
      { length: domains },
      () => new TupleInterner(SCALARS + DOMAIN_SLOTS - 1),
    );
    this.domainObjects = Array.from({ length: domains }, () => []);
    this.overflow = new TupleInterner(domains + 1);
    this.stateTuple = new Array<number>(domains + 1).fill(0);
    this.domainLimit = 2 ** Math.floor((PACKED_BITS - GLOBAL_BITS) / Math.max(1, domains));
    this.domainScales = Array.from(
      { length: domains },
      (_, i) => 2 ** GLOBAL_BITS * this.domainLimit ** i,
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
    let fits = globalId < 2 ** GLOBAL_BITS;
    let key = globalId;
    let scale = 2 ** GLOBAL_BITS;
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
   */
  keyReplacing(ids: readonly number[], i: number, domainId: number, extra: number): number {
    // Most successors keep the parent's extra number and fit the packed layout: the parent's key
    // with one field rewritten, no table looked at.
    const parentKey = ids[KEY] ?? OVERFLOW_BASE;
    const parentGlobal = ids[GLOBAL] ?? 0;
    if (
      parentKey < OVERFLOW_BASE &&
      domainId < this.domainLimit &&
      this.globalIds.word(parentGlobal, 0) === extra
    ) {
      const scale = this.domainScales[i] ?? 0;
      return parentKey + (domainId - (ids[HEAD + i * DOMAIN_SLOTS] ?? 0)) * scale;
    }
    const n = this.domains;
    const g = this.globalTuple;
    g[0] = extra;
    g[1] = ids[OWNER] ?? 0;
    g[2] = ids[CONTENTS] ?? 0;
    const globalId = this.globalIds.id(g);
    let fits = globalId < 2 ** GLOBAL_BITS;
    let key = globalId;
    let scale = 2 ** GLOBAL_BITS;
    const st = this.stateTuple;
    st[0] = globalId;
    for (let j = 0; j < n; j++) {
      const id = j === i ? domainId : (ids[HEAD + j * DOMAIN_SLOTS] ?? 0);
      st[j + 1] = id;
      if (id >= this.domainLimit) fits = false;
      key += id * scale;
      scale *= this.domainLimit;
    }
    return fits ? key : OVERFLOW_BASE + this.overflow.id(st);
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
    if (out[at + P2M] === -1) out[at + P2M] = parts.p2m.id(domainKeyParts.p2m(d.p2m));
    if (out[at + ENTRIES] === -1) {
      out[at + ENTRIES] = parts.entries.id(
        this.entriesPiece
          ? this.entriesPiece(gt.entries, gt.active)
          : domainKeyParts.entries(gt.entries),
      );
    }
    if (out[at + ACTIVE] === -1) {
      out[at + ACTIVE] = parts.active.id(domainKeyParts.active(gt.active));
    }
    if (out[at + MAPTRACK] === -1) {
      out[at + MAPTRACK] = parts.maptrack.id(this.maptrackPiece(d.maptrack));
    }
    if (out[at + HOST] === -1) {
      out[at + HOST] = parts.host.id(domainKeyParts.hostMappings(d.hostMappings));
    }
    if (out[at + RAW] === -1) {
      out[at + RAW] = parts.raw.id(
        domainKeyParts.rawWritten(d.rawWritten) +
          domainKeyParts.guest(d.guest) +
          domainKeyParts.backend(d.backend),
      );
    }
    const t = this.domainTuple;
    t[0] = d.id;
    // bit 0: privileged; bits 1-2: death (docs/semantics.md §17), 0 while alive
    t[1] = (d.privileged ? 1 : 0) | (d.death === undefined ? 0 : d.death === 'zombie' ? 2 : 4);
    t[2] = d.pv ? 1 : 0;
    t[3] = d.totPages;
    t[4] = d.maxPages;
    t[5] = d.hostVaPages;
    t[6] = gt.nrFrames;
    t[7] = gt.maxFrames;
    for (let j = 1; j < DOMAIN_SLOTS; j++) t[SCALARS + j - 1] = out[at + j] ?? 0;
    const id = (this.domainIds[i] as TupleInterner).id(t);
    const objects = this.domainObjects[i] as DomainState[];
    if (id === objects.length) objects.push(d);
    out[at] = id;
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
    if (key >= OVERFLOW_BASE) {
      const at = key - OVERFLOW_BASE;
      for (let i = 0; i <= n; i++) st[i] = this.overflow.word(at, i);
    } else {
      st[0] = key % 2 ** GLOBAL_BITS;
      let rest = Math.floor(key / 2 ** GLOBAL_BITS);
      for (let i = 1; i <= n; i++) {
        st[i] = rest % this.domainLimit;
        rest = Math.floor(rest / this.domainLimit);
      }
    }
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
      for (let j = 1; j < DOMAIN_SLOTS; j++) out[at + j] = table.word(id, SCALARS + j - 1);
      const d = this.domainObjects[i]?.[id];
      if (!d) throw new RangeError(`packed key: ${key} was not made by this packer`);
      domains.push(d);
    }
    const frameOwner = this.parts.owner.objects[out[OWNER] ?? 0];
    const contents = this.parts.contents.objects[out[CONTENTS] ?? 0];
    if (!frameOwner || !contents)
      throw new RangeError(`packed key: ${key} was not made by this packer`);
    return { model: { domains, frameOwner, contents }, extra: this.globalIds.word(g, 0), ids: out };
  }

  /** Estimated bytes of the interning tables. */
  get bytes(): number {
    let b = this.globalIds.bytes + this.overflow.bytes;
    for (const t of this.domainIds) b += t.bytes;
    for (const o of this.domainObjects) b += o.length * POINTER_BYTES;
    for (const p of Object.values(this.parts)) b += p.bytes;
    return b;
  }

  /** How many distinct parts, domains, globals and overflowed tuples have been numbered. */
  get counts(): {
    readonly parts: Readonly<Record<string, number>>;
    readonly domains: readonly number[];
    readonly globals: number;
    readonly overflow: number;
  } {
    const parts: Record<string, number> = {};
    for (const [k, p] of Object.entries(this.parts)) parts[k] = p.size;
    return {
      parts,
      domains: this.domainIds.map((t) => t.size),
      globals: this.globalIds.size,
      overflow: this.overflow.size,
    };
  }
}
