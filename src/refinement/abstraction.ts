// The refinement mapping from the Xen-level model to the core protocol model: which core state
// a Xen-level state stands for. docs/explore.md ("Refinement") gives the choices and the gaps.

import { initialMfn, MFN_BASE } from '../configDefaults.ts';
import type { CoreConfig } from '../core/index.ts';
import { coreConfigProblems } from '../core/index.ts';
import type { CoreEntry, CoreState } from '../core/index.ts';
import {
  entryAt,
  isAcceptTransfer,
  isCommitted,
  isCompleted,
  isInUse,
  isInvalid,
  isPermitAccess,
  isReadonly,
} from '../model/index.ts';
import type { ModelState } from '../model/state.ts';
import { GNTMAP_readonly } from '../xen/abi.ts';
import { accessFrame } from '../xenExplore/alphabet.ts';
import type { XenBounds } from '../xenExplore/bounds.ts';
import { FIRST_REF, grantConfigFor } from '../xenExplore/bounds.ts';
import type { XenState } from '../xenExplore/state.ts';
import { isCollected } from '../xenExplore/state.ts';

/** D domains, R refs, one core frame per page, the same mapping ceiling. */
export function coreConfigFor(b: XenBounds): CoreConfig {
  return { domains: b.domains, refs: b.refs, frames: b.domains * b.pages, maxPin: b.maxPin };
}

/** Why the core model of these bounds cannot be built (its packed state too wide), as
 * sentences; empty when it can. */
export function refinementBoundsProblems(b: XenBounds): string[] {
  return coreConfigProblems(coreConfigFor(b));
}

/**
 * Core frame of an MFN: domain d's gfn g page becomes core frame g*D + d, so that core frame f
 * starts owned by f mod D, as the core model has it. undefined for an MFN no page had.
 */
export function coreFrameOf(b: XenBounds, mfn: number): number | undefined {
  const i = mfn - MFN_BASE;
  if (!Number.isInteger(i) || i < 0 || i >= b.domains * b.pages) return undefined;
  const d = Math.floor(i / b.pages);
  const g = i % b.pages;
  return g * b.domains + d;
}

/** The inverse of coreFrameOf, for reports. */
export function mfnOfCoreFrame(b: XenBounds, f: number): number {
  return initialMfn(grantConfigFor(b), f % b.domains, Math.floor(f / b.domains));
}

export type Abstracted =
  | { readonly ok: true; readonly state: CoreState }
  | { readonly ok: false; readonly problem: string };

/** Live mappings of (granter, ref) by each domain, split into read-only and writable. */
function mappingCounts(
  m: ModelState,
  granter: number,
  ref: number,
): { mapper: number; read: number; write: number }[] {
  const out: { mapper: number; read: number; write: number }[] = [];
  for (const d of m.domains) {
    let read = 0;
    let write = 0;
    for (const mp of d.maptrack.mappings.values()) {
      if (mp.granter !== granter || mp.ref !== ref) continue;
      if ((mp.flags & GNTMAP_readonly) !== 0) read++;
      else write++;
    }
    if (read + write > 0) out.push({ mapper: d.id, read, write });
  }
  return out;
}

function entryOf(b: XenBounds, s: XenState, d: number, ref: number): CoreEntry | string {
  const m = s.model;
  const dom = m.domains[d];
  if (!dom) return `no domain d${d}`;
  const e = entryAt(dom.grantTable, ref);
  const where = `d${d} ref ${ref}`;
  const counts = mappingCounts(m, d, ref);
  if (isPermitAccess(e)) {
    const mfn = accessFrame(dom, ref);
    const frame = mfn === undefined ? undefined : coreFrameOf(b, mfn);
    if (frame === undefined) return `${where}: access entry for gfn ${e.frame}, which has no page`;
    if (e.domid >= b.domains) return `${where}: access entry for d${e.domid}, no such domain`;
    const other = counts.find((c) => c.mapper !== e.domid);
    if (other) return `${where}: mapped by d${other.mapper}, not its grantee d${e.domid}`;
    const mine = counts[0];
    return {
      kind: 'access',
      grantee: e.domid,
      frame,
      readonly: isReadonly(e),
      readMappings: mine?.read ?? 0,
      writeMappings: mine?.write ?? 0,
    };
  }
  if (counts.length > 0) return `${where}: mapped, but not an access entry`;
  if (isAcceptTransfer(e)) {
    if (!isCommitted(e)) {
      if (e.domid >= b.domains) return `${where}: transfer offer to d${e.domid}, no such domain`;
      return { kind: 'transfer-waiting', grantee: e.domid };
    }
    if (!isCompleted(e)) return `${where}: transfer committed but not completed`;
    if (isCollected(b, s, d, ref)) return { kind: 'free' };
    const frame = coreFrameOf(b, e.frame);
    if (frame === undefined) return `${where}: completed transfer of MFN ${e.frame}, no such page`;
    return { kind: 'transfer-done', frame };
  }
  if (isInvalid(e) && !isInUse(e)) return { kind: 'free' };
  return `${where}: flags 0x${e.flags.toString(16)} have no core counterpart`;
}

/** The core state `s` stands for, or why it stands for none. */
export function abstractToCore(b: XenBounds, s: XenState): Abstracted {
  const entries: CoreEntry[][] = [];
  for (let d = 0; d < b.domains; d++) {
    const row: CoreEntry[] = [];
    for (let ri = 0; ri < b.refs; ri++) {
      const e = entryOf(b, s, d, FIRST_REF + ri);
      if (typeof e === 'string') return { ok: false, problem: e };
      row.push(e);
    }
    entries.push(row);
  }
  const owner = new Array<number>(b.domains * b.pages).fill(-1);
  for (const [mfn, dom] of s.model.frameOwner) {
    const f = coreFrameOf(b, mfn);
    if (f === undefined) return { ok: false, problem: `page ${mfn} is no core frame` };
    owner[f] = dom;
  }
  const lost = owner.indexOf(-1);
  if (lost >= 0) {
    return { ok: false, problem: `page 0x${mfnOfCoreFrame(b, lost).toString(16)} has no owner` };
  }
  return { ok: true, state: { entries, owner } };
}
