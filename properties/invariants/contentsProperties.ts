// Step properties of page contents and GNTTABOP_copy (docs/properties.md, "Page contents"):
// a copy's short-lived pins do not outlive the hypercall, and bytes change only in frames the
// acting domain may write — its own pages, pages granted to it writable, or pages its
// writable mappings hold — never through a read-only grant (docs/semantics.md §13, §14).

import type { StepProperty, Transition } from '../../src/harness/invariant.ts';
import type { ModelState } from '../../src/model/state.ts';
import { entryType, isReadonly, writablePins } from '../../src/model/index.ts';
import type { DomId, Mfn } from '../../src/ops/op.ts';
import { actingDomain } from '../../src/ops/op.ts';

/** Is `a` the same active entry as `b` (grantee, frame, pins)? */
function sameActive(
  a: ReadonlyMap<number, object> | undefined,
  b: ReadonlyMap<number, object> | undefined,
): string | null {
  if (a === b) return null;
  if (a === undefined || b === undefined) return 'a domain';
  for (const [ref, x] of a) {
    const y = b.get(ref);
    if (y === undefined || (x !== y && JSON.stringify(x) !== JSON.stringify(y)))
      return `ref ${ref}`;
  }
  for (const ref of b.keys()) if (!a.has(ref)) return `ref ${ref}`;
  return null;
}

export const copyLeavesNoPin: StepProperty = {
  name: 'copy-leaves-no-pin',
  statement:
    "a copy's pins are released within the hypercall: every active entry is as it was before",
  source: 'grant_table.c gnttab_copy (gnttab_copy_release_buf at the end), release_grant_for_copy',
  check(t) {
    if (t.op.kind !== 'copy' || t.before === t.after) return null; // kept: every entry too
    for (const d of t.before.domains) {
      const changed = sameActive(d.grantTable.active, t.after.domains[d.id]?.grantTable.active);
      if (changed !== null) return `copy left d${d.id} ${changed} pinned differently`;
    }
    return null;
  },
};

/** May domain `actor` write frame `mfn` in `state`: its own page, a page of another domain
 * granted to it writable (unpinned: permit_access, domid actor, GTF_readonly clear), or one it
 * holds pinned with a writable pin or through a writable grant PTE (acquire_grant_for_copy's
 * fast path, and the mapping itself). */
export function mayWrite(state: ModelState, actor: DomId, mfn: Mfn): boolean {
  const owner = state.frameOwner.get(mfn);
  if (owner === actor) return true;
  const me = state.domains[actor];
  for (const pte of me?.hostMappings.values() ?? [])
    if (pte.mfn === mfn && pte.writable) return true;
  if (owner === undefined) return false;
  const granter = state.domains[owner];
  if (granter === undefined) return false;
  const table = granter.grantTable;
  for (const [ref, entry] of table.entries) {
    const act = table.active.get(ref);
    if (act !== undefined) {
      if (act.grantee === actor && act.mfn === mfn && (writablePins(act) > 0 || !isReadonly(entry)))
        return true;
    } else if (
      entryType(entry) === 'permit_access' &&
      entry.domid === actor &&
      !isReadonly(entry) &&
      granter.p2m.get(entry.frame) === mfn
    ) {
      return true;
    }
  }
  return false;
}

/** The frames whose bytes differ between two states. */
function changedFrames(t: Transition): Mfn[] {
  const a = t.before.contents;
  const b = t.after.contents;
  if (a === b) return [];
  const out: Mfn[] = [];
  for (const mfn of new Set([...a.keys(), ...b.keys()])) {
    if ((a.get(mfn)?.key ?? '') !== (b.get(mfn)?.key ?? '')) out.push(mfn);
  }
  return out;
}

export const writesOnlyWhereWritable: StepProperty = {
  name: 'writes-only-where-writable',
  statement:
    'bytes change only in frames the acting domain may write (its own, granted writable, or held by a writable mapping): no write through a read-only grant; a transfer moves bytes with the page, and a freed page is scrubbed',
  source: 'docs/semantics.md §13, §14; _set_status_v1 (GTF_readonly), acquire_grant_for_copy',
  check(t) {
    // No byte changed (most steps: the model shares the contents it did not change).
    if (t.before.contents === t.after.contents) return null;
    // A page freed by the step is scrubbed, whoever's op freed it (a failed transfer, or a
    // zombie's last reference going: docs/semantics.md §17).
    const frames = changedFrames(t).filter((m) => t.after.frameOwner.has(m));
    if (frames.length === 0) return null;
    if (t.op.kind === 'transfer') {
      // only a freed (ownerless) page's bytes may change: it is scrubbed
      const kept = frames[0];
      return kept === undefined ? null : `transfer changed the bytes of mfn 0x${kept.toString(16)}`;
    }
    const actor = actingDomain(t.op);
    const bad = frames.find((m) => !mayWrite(t.before, actor, m));
    return bad === undefined
      ? null
      : `${t.op.kind} by d${actor} changed mfn 0x${bad.toString(16)}, which it may not write`;
  },
};

export const CONTENTS_PROPERTIES: readonly StepProperty[] = [
  copyLeavesNoPin,
  writesOnlyWhereWritable,
];
