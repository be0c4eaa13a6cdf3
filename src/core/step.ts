// The core protocol's transition relation over packed states: which operations are enabled,
// and what each one does. Every operation is atomic; one whose condition fails is no transition
// (step returns null). The definition, rule by rule, is in the comments of `step`.

import type { CoreAction } from './action.ts';
import type { CoreLayout } from './layout.ts';
import {
  ACCESS as ACCESS_,
  FREE as FREE_,
  TRANSFER_DONE as TRANSFER_DONE_,
  TRANSFER_WAITING as TRANSFER_WAITING_,
} from './layout.ts';

// Why local copies? Bundlers turn imported constants into getter calls in hot loops.
const ACCESS = ACCESS_;
const FREE = FREE_;
const TRANSFER_DONE = TRANSFER_DONE_;
const TRANSFER_WAITING = TRANSFER_WAITING_;

/** 'correct' is the protocol; the other variant is a deliberately planted bug. */
export type CoreVariant = 'correct' | 'end-access-ignores-mappings';

/** Every action the bounds allow, built once: `actions` hands out these objects and never
 * allocates one per state. */
class ActionTable {
  readonly grantAccess: CoreAction[] = [];
  readonly endAccess: CoreAction[] = [];
  readonly grantTransfer: CoreAction[] = [];
  readonly endTransfer: CoreAction[] = [];
  readonly map: CoreAction[] = [];
  readonly unmap: CoreAction[] = [];
  readonly transfer: CoreAction[] = [];

  constructor(L: CoreLayout) {
    const { domains: D, refs: R, frames: F } = L;
    for (let d = 0; d < D; d++) {
      for (let ref = 0; ref < R; ref++) {
        this.endAccess.push({ kind: 'end_access', dom: d, ref });
        this.endTransfer.push({ kind: 'end_transfer', dom: d, ref });
        for (let grantee = 0; grantee < D; grantee++) {
          this.grantTransfer.push({ kind: 'grant_transfer', dom: d, ref, grantee });
          for (let frame = 0; frame < F; frame++) {
            for (const readonly of [false, true]) {
              this.grantAccess.push({
                kind: 'grant_access',
                dom: d,
                ref,
                grantee,
                frame,
                readonly,
              });
            }
          }
        }
      }
    }
    for (let grantee = 0; grantee < D; grantee++) {
      for (let granter = 0; granter < D; granter++) {
        for (let ref = 0; ref < R; ref++) {
          for (const write of [false, true]) {
            this.map.push({ kind: 'map', grantee, granter, ref, write });
            this.unmap.push({ kind: 'unmap', grantee, granter, ref, write });
          }
        }
      }
      for (let frame = 0; frame < F; frame++) {
        for (let granter = 0; granter < D; granter++) {
          for (let ref = 0; ref < R; ref++) {
            this.transfer.push({ kind: 'transfer', grantee, frame, granter, ref });
          }
        }
      }
    }
  }
}

function inRange(x: number, n: number): boolean {
  return x >= 0 && x < n && Number.isInteger(x);
}

function pick(table: readonly CoreAction[], i: number): CoreAction {
  const a = table[i];
  if (!a) throw new RangeError(`core model: no action ${i}`);
  return a;
}

export class CoreMachine {
  private readonly table: ActionTable;
  private readonly fields: Int32Array;
  // Why a one-state cache? The explorer asks for the actions of s, then steps s by each of
  // them, then checks invariants on each new state: decoding once per state, not per call.
  private cached = -1;
  private readonly ignoresMappings: boolean;

  constructor(
    readonly layout: CoreLayout,
    readonly variant: CoreVariant = 'correct',
  ) {
    this.table = new ActionTable(layout);
    this.fields = new Int32Array(layout.fieldCount);
    this.ignoresMappings = variant === 'end-access-ignores-mappings';
  }

  /** The fields of `s`, valid until the next call with another state. */
  fieldsOf(s: number): Int32Array {
    if (s !== this.cached) {
      this.layout.decode(s, this.fields);
      this.cached = s;
    }
    return this.fields;
  }

  /** Exactly the enabled actions of `s`, in a fixed order. */
  actions(s: number): CoreAction[] {
    const L = this.layout;
    const { domains: D, refs: R, frames: F, maxPin: M } = L;
    const f = this.fieldsOf(s);
    const t = this.table;
    const out: CoreAction[] = [];
    for (let d = 0; d < D; d++) {
      for (let r = 0; r < R; r++) {
        const i = d * R + r;
        const e = f[i] ?? 0;
        switch (L.kindOf[e]) {
          case FREE:
            for (let g = 0; g < D; g++) {
              if (g !== d) {
                for (let fr = 0; fr < F; fr++) {
                  if (f[L.entryFields + fr] === d) {
                    const base = ((i * D + g) * F + fr) * 2;
                    out.push(pick(t.grantAccess, base), pick(t.grantAccess, base + 1));
                  }
                }
              }
              out.push(pick(t.grantTransfer, i * D + g));
            }
            break;
          case ACCESS: {
            const g = L.granteeOf[e] ?? 0;
            const rc = L.readCountOf[e] ?? 0;
            const wc = L.writeCountOf[e] ?? 0;
            if (this.ignoresMappings || (rc === 0 && wc === 0)) out.push(pick(t.endAccess, i));
            const m = ((g * D + d) * R + r) * 2;
            if (rc < M) out.push(pick(t.map, m));
            if (wc < M && L.readonlyOf[e] === 0) out.push(pick(t.map, m + 1));
            if (rc > 0) out.push(pick(t.unmap, m));
            if (wc > 0) out.push(pick(t.unmap, m + 1));
            break;
          }
          case TRANSFER_WAITING: {
            out.push(pick(t.endTransfer, i));
            const g = L.granteeOf[e] ?? 0;
            for (let fr = 0; fr < F; fr++) {
              if (f[L.entryFields + fr] === g && !this.inAccessEntryOf(f, g, fr)) {
                out.push(pick(t.transfer, ((g * F + fr) * D + d) * R + r));
              }
            }
            break;
          }
          case TRANSFER_DONE:
            out.push(pick(t.endTransfer, i));
            break;
        }
      }
    }
    return out;
  }

  /** Does frame `fr` appear in an access entry of domain `g`'s table? */
  private inAccessEntryOf(f: Int32Array, g: number, fr: number): boolean {
    const L = this.layout;
    for (let r = 0; r < L.refs; r++) {
      const e = f[g * L.refs + r] ?? 0;
      if (L.kindOf[e] === ACCESS && L.frameOf[e] === fr) return true;
    }
    return false;
  }

  /** A successor differs from s in one or two fields: s + (new - old) * weight, exactly. */
  private set(s: number, f: Int32Array, i: number, code: number): number {
    return s + (code - (f[i] ?? 0)) * (this.layout.weight[i] ?? 0);
  }

  step(s: number, a: CoreAction): number | null {
    // Why no local closures? tsx and vitest keep function names, which wraps every closure
    // created per call in a defineProperty: it was the hottest line of the search.
    const L = this.layout;
    const f = this.fieldsOf(s);
    const dom = L.domains;
    const ref = L.refs;
    const frame = L.frames;
    switch (a.kind) {
      case 'grant_access': {
        // 1. entry free, d owns frame, grantee != d.
        if (
          !inRange(a.dom, dom) ||
          !inRange(a.ref, ref) ||
          !inRange(a.grantee, dom) ||
          !inRange(a.frame, frame)
        )
          return null;
        const i = L.entryIndex(a.dom, a.ref);
        const e = f[i] ?? 0;
        if (L.kindOf[e] !== FREE || f[L.ownerIndex(a.frame)] !== a.dom || a.grantee === a.dom) {
          return null;
        }
        // Counts carry over: zero, except the stale ones the broken variant leaves behind.
        const code = L.accessCode(
          a.grantee,
          a.frame,
          a.readonly,
          L.readCountOf[e],
          L.writeCountOf[e],
        );
        return this.set(s, f, i, code);
      }
      case 'end_access': {
        // 2. entry is access with both mapping counts 0 -> free. The broken variant frees it
        // regardless, and the mappings outlive the grant (the counts stay, on a free entry).
        if (!inRange(a.dom, dom) || !inRange(a.ref, ref)) return null;
        const i = L.entryIndex(a.dom, a.ref);
        const e = f[i] ?? 0;
        if (L.kindOf[e] !== ACCESS) return null;
        const rc = L.readCountOf[e] ?? 0;
        const wc = L.writeCountOf[e] ?? 0;
        if (this.ignoresMappings) return this.set(s, f, i, L.freeCode(rc, wc));
        return rc === 0 && wc === 0 ? this.set(s, f, i, L.freeCode()) : null;
      }
      case 'grant_transfer': {
        // 3. entry free -> transfer-waiting(grantee); grantee = d is allowed.
        if (!inRange(a.dom, dom) || !inRange(a.ref, ref) || !inRange(a.grantee, dom)) return null;
        const i = L.entryIndex(a.dom, a.ref);
        if (L.kindOf[f[i] ?? 0] !== FREE) return null;
        return this.set(s, f, i, L.waitingCode(a.grantee));
      }
      case 'end_transfer': {
        // 4. entry is transfer-waiting or transfer-done -> free.
        if (!inRange(a.dom, dom) || !inRange(a.ref, ref)) return null;
        const i = L.entryIndex(a.dom, a.ref);
        const k = L.kindOf[f[i] ?? 0];
        if (k !== TRANSFER_WAITING && k !== TRANSFER_DONE) return null;
        return this.set(s, f, i, L.freeCode());
      }
      case 'map':
      case 'unmap': {
        // 5. x's entry is access with grantee g; a write needs a writable grant; the count
        // must stay in 0..MAXPIN. 6. unmap needs that count > 0.
        if (!inRange(a.grantee, dom) || !inRange(a.granter, dom) || !inRange(a.ref, ref))
          return null;
        const i = L.entryIndex(a.granter, a.ref);
        const e = f[i] ?? 0;
        if (L.kindOf[e] !== ACCESS || L.granteeOf[e] !== a.grantee) return null;
        let rc = L.readCountOf[e] ?? 0;
        let wc = L.writeCountOf[e] ?? 0;
        const delta = a.kind === 'map' ? 1 : -1;
        if (a.write) {
          if (a.kind === 'map' && L.readonlyOf[e] === 1) return null;
          wc += delta;
        } else {
          rc += delta;
        }
        if (rc < 0 || wc < 0 || rc > L.maxPin || wc > L.maxPin) return null;
        return this.set(s, f, i, L.withCounts(e, rc, wc));
      }
      case 'transfer': {
        // 7. g owns frame; frame is in no access entry of g; x's entry is transfer-waiting
        // with grantee g -> frame's owner becomes x, the entry becomes transfer-done(frame).
        if (
          !inRange(a.grantee, dom) ||
          !inRange(a.frame, frame) ||
          !inRange(a.granter, dom) ||
          !inRange(a.ref, ref)
        )
          return null;
        const o = L.ownerIndex(a.frame);
        if (f[o] !== a.grantee || this.inAccessEntryOf(f, a.grantee, a.frame)) return null;
        const i = L.entryIndex(a.granter, a.ref);
        const e = f[i] ?? 0;
        if (L.kindOf[e] !== TRANSFER_WAITING || L.granteeOf[e] !== a.grantee) return null;
        return (
          this.set(s, f, i, L.doneCode(a.frame)) + (a.granter - a.grantee) * (L.weight[o] ?? 0)
        );
      }
      default: {
        const never: never = a;
        return never;
      }
    }
  }
}
