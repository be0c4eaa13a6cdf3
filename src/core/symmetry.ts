// Symmetry reduction for the core model: a canonical representative of a packed state's orbit
// under renaming domain ids (and optionally frames, and refs within each domain).
//
// Why is renaming domains sound although frame f starts owned by domain f mod D, which breaks
// the initial state's symmetry? Reduction needs the transition relation and the invariants to
// be equivariant (step(p·s, p·a) = p·step(s, a), inv(p·s) = inv(s)), not a symmetric initial
// state. Every rule and invariant quantifies over ids and only compares them for equality
// ("d owns frame", "grantee = g", "grantee != d"), so any renaming p of domains, of frames, and
// of refs within a domain is an automorphism of the transition graph. Then Reach(p·s0) =
// p·Reach(s0), and the orbits met from s0 are exactly the orbits of Reach(s0): searching the
// representatives from canonical(s0) finds one state per orbit of the reachable states. For the
// same reason frames may be renamed independently of domains: no id-coupled ("together")
// permutation is needed. The initial state only loses orbit-mates it never needed.
//
// The representative is the least packed value over the whole group, computed from tables of
// "this entry value at this position contributes this much under this renaming".

import type { CoreLayout } from './layout.ts';
import { ACCESS, FREE, TRANSFER_DONE, TRANSFER_WAITING } from './layout.ts';

/** Which ids are interchangeable. 'domains' is the default reduction. */
export type CoreSymmetry = 'domains' | 'domains+frames' | 'domains+frames+refs';

/** Why a cap? The tables hold group size x entries x entry values numbers. */
const MAX_TABLE_NUMBERS = 1 << 24;

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const p of permutations(n - 1)) {
    for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  }
  return out;
}

function identity(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function product<T>(lists: readonly (readonly T[])[]): T[][] {
  let out: T[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((x) => [...prefix, x]));
  return out;
}

interface Renaming {
  readonly domain: readonly number[];
  readonly frame: readonly number[];
  /** ref[d]: the renaming of domain d's refs. */
  readonly ref: readonly (readonly number[])[];
}

function isIdentity(p: Renaming): boolean {
  const same = (xs: readonly number[]): boolean => xs.every((x, i) => x === i);
  return same(p.domain) && same(p.frame) && p.ref.every(same);
}

export class CoreCanonicaliser {
  /** Renamings tried per state: the group, less the identity (s itself is the first guess). */
  readonly renamings: number;
  /** entryTerm[(g * entryFields + i) * E + e] */
  private readonly entryTerm: Float64Array;
  /** ownerTerm[(g * frames + f) * D + o] */
  private readonly ownerTerm: Float64Array;
  private readonly fields: Int32Array;

  constructor(
    private readonly layout: CoreLayout,
    readonly symmetry: CoreSymmetry,
  ) {
    const L = layout;
    const D = L.domains;
    const F = L.frames;
    const E = L.entryRadix;
    const refPerms = symmetry === 'domains+frames+refs' ? permutations(L.refs) : [identity(L.refs)];
    const group: Renaming[] = [];
    for (const domain of permutations(D)) {
      for (const frame of symmetry === 'domains' ? [identity(F)] : permutations(F)) {
        for (const ref of product(Array.from({ length: D }, () => refPerms))) {
          const p = { domain, frame, ref };
          if (!isIdentity(p)) group.push(p);
        }
      }
    }
    this.renamings = group.length;
    if (group.length * L.entryFields * E > MAX_TABLE_NUMBERS) {
      throw new RangeError(
        `core model: symmetry '${symmetry}' has ${group.length} renamings; too many to tabulate`,
      );
    }
    this.entryTerm = new Float64Array(group.length * L.entryFields * E);
    this.ownerTerm = new Float64Array(group.length * F * D);
    this.fields = new Int32Array(L.fieldCount);
    group.forEach((p, g) => {
      for (let d = 0; d < D; d++) {
        for (let r = 0; r < L.refs; r++) {
          const to = L.entryIndex(p.domain[d] ?? 0, p.ref[d]?.[r] ?? 0);
          const base = (g * L.entryFields + L.entryIndex(d, r)) * E;
          for (let e = 0; e < E; e++) {
            this.entryTerm[base + e] = this.rename(p, e) * (L.weight[to] ?? 0);
          }
        }
      }
      for (let f = 0; f < F; f++) {
        const w = L.weight[L.ownerIndex(p.frame[f] ?? 0)] ?? 0;
        for (let o = 0; o < D; o++) this.ownerTerm[(g * F + f) * D + o] = (p.domain[o] ?? 0) * w;
      }
    });
  }

  /** Entry value `e` with its grantee and frame renamed. */
  private rename(p: Renaming, e: number): number {
    const L = this.layout;
    const read = L.readCountOf[e] ?? 0;
    const write = L.writeCountOf[e] ?? 0;
    const g = p.domain[L.granteeOf[e] ?? 0] ?? 0;
    const f = p.frame[L.frameOf[e] ?? 0] ?? 0;
    switch (L.kindOf[e]) {
      case FREE:
        return L.freeCode(read, write);
      case ACCESS:
        return L.accessCode(g, f, L.readonlyOf[e] === 1, read, write);
      case TRANSFER_WAITING:
        return L.waitingCode(g);
      case TRANSFER_DONE:
        return L.doneCode(f);
      default:
        throw new RangeError(`core model: no entry value ${e}`);
    }
  }

  /** The least packed state in the orbit of `s`. */
  canonical(s: number): number {
    const L = this.layout;
    const fields = this.fields;
    L.decode(s, fields);
    const n = L.entryFields;
    const E = L.entryRadix;
    const F = L.frames;
    const D = L.domains;
    const entryTerm = this.entryTerm;
    const ownerTerm = this.ownerTerm;
    let best = s;
    for (let g = 0; g < this.renamings; g++) {
      let v = 0;
      const eb = g * n;
      for (let i = 0; i < n; i++) v += entryTerm[(eb + i) * E + (fields[i] ?? 0)] ?? 0;
      const ob = g * F;
      for (let f = 0; f < F; f++) v += ownerTerm[(ob + f) * D + (fields[n + f] ?? 0)] ?? 0;
      if (v < best) best = v;
    }
    return best;
  }
}
