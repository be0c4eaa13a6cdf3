// A model state as readable lines, for reports and counterexamples: each domain's counters,
// pages, shared entries, active entries, maptrack and grant PTEs, then page ownership.

import { hex } from '../ops/text.ts';
import {
  domName,
  formatActive,
  formatEntry,
  formatFreeList,
  formatMapping,
  formatPte,
  guestFacts,
  backendFacts,
  sortedKeys,
} from './format.ts';
import type { DomainState, ModelState } from './state.ts';
import { formatPage } from './contents.ts';

function describeDomain(d: DomainState): string[] {
  const name = domName(d.id);
  const gt = d.grantTable;
  const mt = d.maptrack;
  const lines = [
    `${name}${d.privileged ? ' (control domain)' : ''}${deathNote(d)}: tot_pages ${d.totPages}/${d.maxPages}` +
      `, grant frames ${gt.nrFrames}/${gt.maxFrames}, host va pages ${d.hostVaPages}`,
    `${name} p2m: ${
      sortedKeys(d.p2m)
        .map((gfn) => `gfn ${gfn} → ${hex(d.p2m.get(gfn) ?? 0)}`)
        .join(', ') || '(empty)'
    }`,
  ];
  for (const ref of sortedKeys(gt.entries)) {
    const e = gt.entries.get(ref);
    const raw = d.rawWritten.has(ref) ? ' (raw-written)' : '';
    if (e) lines.push(`${name} ref ${ref}: ${formatEntry(e)}${raw}`);
  }
  for (const ref of sortedKeys(d.rawWritten)) {
    if (!gt.entries.has(ref)) lines.push(`${name} ref ${ref}: zero (raw-written)`);
  }
  for (const ref of sortedKeys(gt.active)) {
    const a = gt.active.get(ref);
    if (a) lines.push(`${name} active ref ${ref}: ${formatActive(a)}`);
  }
  if (mt.limit > 0) {
    lines.push(
      `${name} maptrack: limit ${mt.limit} (${mt.limit / 256}/${mt.maxFrames} frames), ` +
        `${mt.mappings.size} live, free list head ${mt.freeList.head ?? '-'} ${formatFreeList(mt.freeList)}`,
    );
    (mt.otherFreeLists ?? []).forEach((list, i) => {
      lines.push(`${name} v${i + 1} free list head ${list.head ?? '-'} ${formatFreeList(list)}`);
    });
  }
  for (const handle of sortedKeys(mt.mappings)) {
    const m = mt.mappings.get(handle);
    if (m) lines.push(`${name} handle ${handle} → ${formatMapping(m)}`);
  }
  for (const page of sortedKeys(d.hostMappings)) {
    const p = d.hostMappings.get(page);
    if (p) lines.push(`${name} va page ${page} → ${formatPte(p)}`);
  }
  for (const [label, text] of guestFacts(d.id, d.guest)) lines.push(`${label}: ${text}`);
  for (const [label, text] of backendFacts(d.id, d.backend)) lines.push(`${label}: ${text}`);
  return lines;
}

/** Pages grouped by owner; only what differs from "each domain owns what its p2m names" would
 * be surprising, so every owner is listed with its pages. */
function describeOwners(state: ModelState): string[] {
  const byOwner = new Map<number, number[]>();
  for (const mfn of sortedKeys(state.frameOwner)) {
    const owner = state.frameOwner.get(mfn);
    if (owner === undefined) continue;
    const pages = byOwner.get(owner) ?? [];
    pages.push(mfn);
    byOwner.set(owner, pages);
  }
  return sortedKeys(byOwner).map(
    (owner) => `${domName(owner)} owns ${(byOwner.get(owner) ?? []).map(hex).join(', ')}`,
  );
}

/** Every non-zero page: its digest and (when short) its runs. */
function describeContents(state: ModelState): string[] {
  return sortedKeys(state.contents).map(
    (mfn) => `mfn ${hex(mfn)} contents: ${formatPage(state.contents.get(mfn))}`,
  );
}

export function describeState(state: ModelState): string[] {
  return [
    ...state.domains.flatMap(describeDomain),
    ...describeOwners(state),
    ...describeContents(state),
  ];
}

/** A destroyed domain (docs/semantics.md §17): a zombie still holds pages others map. */
function deathNote(d: DomainState): string {
  if (d.death === undefined) return '';
  return d.death === 'zombie' ? ' (zombie: dying, pages still mapped)' : ' (gone: destroyed)';
}
