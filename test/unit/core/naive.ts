// An independent, deliberately naive reachability count for the core protocol model: plain
// objects, JSON keys, every parameter combination tried. Written from the definition
// only (not from src/core), so that the pinned state counts are checked by two programs.

export interface NaiveConfig {
  domains: number;
  refs: number;
  frames: number;
  maxPin: number;
}

type Entry =
  | { kind: 'free'; rc?: number; wc?: number } // counts only in the broken variant
  | { kind: 'access'; grantee: number; frame: number; ro: boolean; rc: number; wc: number }
  | { kind: 'transfer-waiting'; grantee: number }
  | { kind: 'transfer-done'; frame: number };

interface State {
  entries: Entry[][]; // [domain][ref]
  owner: number[]; // [frame]
}

function clone(s: State): State {
  return JSON.parse(JSON.stringify(s)) as State;
}

function successors(c: NaiveConfig, s: State, broken: boolean): State[] {
  const out: State[] = [];
  const D = c.domains;
  const R = c.refs;
  const F = c.frames;
  const entry = (d: number, r: number): Entry => s.entries[d]![r]!;
  for (let d = 0; d < D; d++) {
    for (let r = 0; r < R; r++) {
      const e = entry(d, r);
      // 1. grant_access
      for (let g = 0; g < D; g++) {
        for (let f = 0; f < F; f++) {
          for (const ro of [false, true]) {
            if (e.kind === 'free' && s.owner[f] === d && g !== d) {
              const t = clone(s);
              t.entries[d]![r] = {
                kind: 'access',
                grantee: g,
                frame: f,
                ro,
                rc: e.rc ?? 0,
                wc: e.wc ?? 0,
              };
              out.push(t);
            }
          }
        }
      }
      // 2. end_access
      if (e.kind === 'access' && (broken || (e.rc === 0 && e.wc === 0))) {
        const t = clone(s);
        t.entries[d]![r] =
          e.rc === 0 && e.wc === 0 ? { kind: 'free' } : { kind: 'free', rc: e.rc, wc: e.wc };
        out.push(t);
      }
      // 3. grant_transfer
      for (let g = 0; g < D; g++) {
        if (e.kind === 'free') {
          const t = clone(s);
          t.entries[d]![r] = { kind: 'transfer-waiting', grantee: g };
          out.push(t);
        }
      }
      // 4. end_transfer
      if (e.kind === 'transfer-waiting' || e.kind === 'transfer-done') {
        const t = clone(s);
        t.entries[d]![r] = { kind: 'free' };
        out.push(t);
      }
      // 5./6. map and unmap, by each possible grantee g of x=d's entry r
      for (let g = 0; g < D; g++) {
        for (const write of [false, true]) {
          if (e.kind !== 'access' || e.grantee !== g) continue;
          const count = write ? e.wc : e.rc;
          if ((!write || !e.ro) && count < c.maxPin) {
            const t = clone(s);
            const te = t.entries[d]![r] as Extract<Entry, { kind: 'access' }>;
            if (write) te.wc++;
            else te.rc++;
            out.push(t);
          }
          if (count > 0) {
            const t = clone(s);
            const te = t.entries[d]![r] as Extract<Entry, { kind: 'access' }>;
            if (write) te.wc--;
            else te.rc--;
            out.push(t);
          }
        }
      }
      // 7. transfer(g, f, x=d, r)
      for (let g = 0; g < D; g++) {
        for (let f = 0; f < F; f++) {
          if (s.owner[f] !== g) continue;
          if (s.entries[g]!.some((a) => a.kind === 'access' && a.frame === f)) continue;
          if (e.kind !== 'transfer-waiting' || e.grantee !== g) continue;
          const t = clone(s);
          t.owner[f] = d;
          t.entries[d]![r] = { kind: 'transfer-done', frame: f };
          out.push(t);
        }
      }
    }
  }
  return out;
}

export function naiveInitial(c: NaiveConfig): State {
  return {
    entries: Array.from({ length: c.domains }, () =>
      Array.from({ length: c.refs }, (): Entry => ({ kind: 'free' })),
    ),
    owner: Array.from({ length: c.frames }, (_, f) => f % c.domains),
  };
}

/** Every reachable state, as JSON keys. */
export function naiveReachable(c: NaiveConfig, broken = false): Map<string, State> {
  const s0 = naiveInitial(c);
  const seen = new Map<string, State>([[JSON.stringify(s0), s0]]);
  let frontier = [s0];
  while (frontier.length > 0) {
    const next: State[] = [];
    for (const s of frontier) {
      for (const t of successors(c, s, broken)) {
        const k = JSON.stringify(t);
        if (!seen.has(k)) {
          seen.set(k, t);
          next.push(t);
        }
      }
    }
    frontier = next;
  }
  return seen;
}

const PERMS: Record<number, number[][]> = {};
function permutations(n: number): number[][] {
  if (PERMS[n]) return PERMS[n];
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const p of permutations(n - 1)) {
    for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  }
  return (PERMS[n] = out);
}

/** `s` with domains renamed by `dp`, frames by `fp`, and domain d's refs by `rp[d]`. */
function rename(s: State, dp: number[], fp: number[], rp: number[][]): State {
  const entries: Entry[][] = s.entries.map((row) => row.map((): Entry => ({ kind: 'free' })));
  s.entries.forEach((row, d) =>
    row.forEach((e, r) => {
      const moved: Entry =
        e.kind === 'access'
          ? { ...e, grantee: dp[e.grantee]!, frame: fp[e.frame]! }
          : e.kind === 'transfer-waiting'
            ? { kind: e.kind, grantee: dp[e.grantee]! }
            : e.kind === 'transfer-done'
              ? { kind: e.kind, frame: fp[e.frame]! }
              : e;
      entries[dp[d]!]![rp[d]![r]!] = moved;
    }),
  );
  const owner: number[] = [];
  s.owner.forEach((o, f) => (owner[fp[f]!] = dp[o]!));
  return { entries, owner };
}

/** How many orbits the reachable states fall into, under renaming domains (and optionally
 * frames, and refs within each domain): the least JSON over all renamings names an orbit. */
export function naiveOrbitCount(
  c: NaiveConfig,
  reachable: Iterable<State>,
  group: 'domains' | 'domains+frames' | 'domains+frames+refs',
): number {
  const ident = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const framePerms = group === 'domains' ? [ident(c.frames)] : permutations(c.frames);
  const refPerms = group === 'domains+frames+refs' ? permutations(c.refs) : [ident(c.refs)];
  let refTuples: number[][][] = [[]];
  for (let d = 0; d < c.domains; d++) {
    refTuples = refTuples.flatMap((t) => refPerms.map((p) => [...t, p]));
  }
  const orbits = new Set<string>();
  for (const s of reachable) {
    let best: string | undefined;
    for (const dp of permutations(c.domains)) {
      for (const fp of framePerms) {
        for (const rp of refTuples) {
          const k = JSON.stringify(rename(s, dp, fp, rp));
          if (best === undefined || k < best) best = k;
        }
      }
    }
    orbits.add(best!);
  }
  return orbits.size;
}
