// The table of states a breadth-first search split across threads shares when its keys are not
// portable (docs/explore.md, "The Xen-level search, split by claims"): each state's 64-bit
// content fingerprint (ExplorableModel.fingerprint) and the best claim on it. A claim's priority
// orders the ways a search meets a state as one thread's breadth-first search does: by level,
// then the parent's rank in its level, then the action's index among the parent's actions.
// So the claim a level ends with is the one path a search in one thread would have stored the
// state by, whichever thread made it first, and the state belongs to the thread that made it.
//
// Open addressing with linear probing over two columns of SharedArrayBuffers: fingerprints
// (0: an empty slot) and priorities (all ones: no claim yet), written with Atomics only, so that
// every thread may claim at once. The table does not grow while threads claim: the parent grows
// it at the end of a round (`grown`), when no thread is claiming, and a claim that finds it full
// is made again after that (CLAIM_FULL).

/** Fields of a priority: level, the parent's rank in its level, the action's index. */
const LEVEL_SHIFT = 48n;
const RANK_SHIFT = 16n;
/** The largest value of each field. A level has 16 bits, but all ones is NO_CLAIM's level: the
 * levels stay far below it. */
export const MAX_RANK = 2 ** 32 - 1;
export const MAX_ACTION = 2 ** 16 - 1;
export const MAX_LEVEL = 2 ** 15 - 1;
const NO_CLAIM = 2n ** 64n - 1n;

/** `claim` results other than the slot of a claim at the claimed level. */
export const CLAIM_EARLIER = -1;
export const CLAIM_FULL = -2;

/** A table's slots may be at most this full before claims are refused (CLAIM_FULL). Why not
 * fuller? Linear probing's misses slow down fast past it (8.5 probes at 3/4 full). The parent
 * grows the table at a round's end once it is GROW_LOAD full, so a level rarely gets this far;
 * a table is then a quarter to a half full, 32 to 64 bytes a state. */
const FULL_LOAD = 0.75;
/** Past this load, the table is grown (doubled) at the round's end. */
const GROW_LOAD = 0.5;
const MIN_CAPACITY = 1 << 12;
/** Slot indices are int32s. */
const MAX_CAPACITY = 2 ** 30;
/** Bytes a slot takes: a fingerprint and a priority. */
export const SLOT_BYTES = 16;

/** A priority: the claimed level, the parent's rank in the level above, the action's index. */
export function claimPriority(level: number, rank: number, action: number): bigint {
  if (level > MAX_LEVEL || rank > MAX_RANK || action > MAX_ACTION) {
    throw new RangeError(
      `explore: a split search takes depths to ${MAX_LEVEL}, levels of ${MAX_RANK + 1} states and ${MAX_ACTION + 1} actions a state at most`,
    );
  }
  return (BigInt(level) << LEVEL_SHIFT) | (BigInt(rank) << RANK_SHIFT) | BigInt(action);
}

/** The level a priority claims. */
export function claimLevel(priority: bigint): number {
  return Number(priority >> LEVEL_SHIFT);
}

/** What a thread needs to use a table: its buffers (plain data, sent to workers). */
export interface ClaimBuffers {
  readonly fingerprints: SharedArrayBuffer;
  readonly priorities: SharedArrayBuffer;
  /** One int32: the slots in use. */
  readonly used: SharedArrayBuffer;
}

export class ClaimTable {
  private readonly fingerprints: BigUint64Array;
  private readonly priorities: BigUint64Array;
  private readonly used: Int32Array;
  private readonly mask: number;
  private readonly fullAt: number;

  constructor(readonly buffers: ClaimBuffers) {
    this.fingerprints = new BigUint64Array(buffers.fingerprints);
    this.priorities = new BigUint64Array(buffers.priorities);
    this.used = new Int32Array(buffers.used);
    const capacity = this.fingerprints.length;
    if (capacity < 2 || (capacity & (capacity - 1)) !== 0 || this.priorities.length !== capacity) {
      throw new RangeError(`claim table: ${capacity} slots, not a power of two with priorities`);
    }
    this.mask = capacity - 1;
    this.fullAt = Math.floor(capacity * FULL_LOAD);
  }

  /** An empty table with room for `states` below GROW_LOAD. */
  static create(states = 0): ClaimTable {
    const capacity = capacityFor(states);
    const fingerprints = new SharedArrayBuffer(capacity * 8);
    const priorities = new SharedArrayBuffer(capacity * 8);
    new BigUint64Array(priorities).fill(NO_CLAIM);
    return new ClaimTable({ fingerprints, priorities, used: new SharedArrayBuffer(4) });
  }

  get capacity(): number {
    return this.fingerprints.length;
  }

  /** States in the table (claimed at some level). */
  get size(): number {
    return Atomics.load(this.used, 0);
  }

  get bytes(): number {
    return this.capacity * SLOT_BYTES;
  }

  /** The bytes of the table `grown` makes: twice this one's. */
  get grownBytes(): number {
    return 2 * this.bytes;
  }

  /** Past GROW_LOAD: grow it at the round's end. */
  get crowded(): boolean {
    return this.size > this.capacity * GROW_LOAD;
  }

  /**
   * Claim state `fingerprint` (non-zero) with `priority`: the slot it is found or put at, when
   * the best claim on it so far is at the claimed level (this one or a better one; which wins
   * is known once every thread has claimed: `priorityOf`); CLAIM_EARLIER when a claim of an
   * earlier level holds it (the state is stored already); CLAIM_FULL when it is new and the
   * table has no room (claim it again once the table has grown).
   */
  claim(fingerprint: bigint, priority: bigint): number {
    const slot = this.slotOf(fingerprint, true);
    if (slot < 0) return CLAIM_FULL;
    const priorities = this.priorities;
    let best = Atomics.load(priorities, slot);
    while (priority < best) {
      const was = Atomics.compareExchange(priorities, slot, best, priority);
      if (was === best) return slot;
      best = was;
    }
    return best >> LEVEL_SHIFT < priority >> LEVEL_SHIFT ? CLAIM_EARLIER : slot;
  }

  /** The best claim on `fingerprint` (NO_CLAIM's value when none). */
  priorityOf(fingerprint: bigint): bigint {
    const slot = this.slotOf(fingerprint, false);
    return slot < 0 ? NO_CLAIM : Atomics.load(this.priorities, slot);
  }

  /** Is state `fingerprint` in the table? */
  has(fingerprint: bigint): boolean {
    return this.slotOf(fingerprint, false) >= 0;
  }

  /**
   * A table with every claim of this one, twice as large. Only while no thread claims (at a
   * round's end).
   */
  grown(): ClaimTable {
    // Room below GROW_LOAD for as many claims as this table has slots: twice the slots, its
    // claims (at most FULL_LOAD of its slots) filling at most three eighths of them.
    const next = ClaimTable.create(this.capacity);
    const { fingerprints, priorities } = this;
    for (let i = 0; i < fingerprints.length; i++) {
      const f = fingerprints[i] ?? 0n;
      if (f === 0n) continue;
      const slot = next.slotOf(f, true);
      next.priorities[slot] = priorities[i] ?? NO_CLAIM;
    }
    return next;
  }

  /** The slot holding `fingerprint`; with `insert`, put in an empty slot when absent (-1: the
   * table is full); without, -1 when absent. */
  private slotOf(fingerprint: bigint, insert: boolean): number {
    if (fingerprint === 0n) throw new RangeError('claim table: fingerprint 0 marks an empty slot');
    const { fingerprints, mask } = this;
    // The fingerprint's low bits are a hash already (the model's).
    let slot = Number(fingerprint & 0xffffffffn) & mask;
    for (;;) {
      const here = Atomics.load(fingerprints, slot);
      if (here === fingerprint) return slot;
      if (here === 0n) {
        if (!insert) return -1;
        if (Atomics.load(this.used, 0) >= this.fullAt) return -1;
        const was = Atomics.compareExchange(fingerprints, slot, 0n, fingerprint);
        if (was === 0n) {
          Atomics.add(this.used, 0, 1);
          return slot;
        }
        if (was === fingerprint) return slot;
      }
      slot = (slot + 1) & mask;
    }
  }
}

/** The slots of a table with room for `states` below GROW_LOAD. */
function capacityFor(states: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity * GROW_LOAD < states) capacity *= 2;
  if (capacity > MAX_CAPACITY) {
    throw new RangeError(`claim table: more than ${MAX_CAPACITY * GROW_LOAD} states`);
  }
  return capacity;
}
