// Text for the parts of a model state, shared by describeState and diffStates.

import { formatMapFlags, hex } from '../ops/text.ts';
import {
  GTF_PAT,
  GTF_PCD,
  GTF_PWT,
  GTF_reading,
  GTF_readonly,
  GTF_sub_page,
  GTF_type_mask,
  GTF_writing,
} from '../xen/abi.ts';
import { entryType } from './entry.ts';
import { formatPins } from './pins.ts';
import type { FreeList } from './freeList.ts';
import type {
  BackendState,
  ActiveGrant,
  GrantMapping,
  GuestLibState,
  HostMapping,
  SharedEntry,
} from './state.ts';

export function domName(id: number): string {
  return `d${id}`;
}

export function flags16(flags: number): string {
  return `0x${flags.toString(16).padStart(4, '0')}`;
}

/** "permit_access → d2 gfn 3 ro [reading]", "accept_transfer ← d2 frame 0x104 [committed,
 * completed]", "invalid domid 2 frame 3": bits 2 and 3 are named by the entry's type. */
export function formatEntry(e: SharedEntry): string {
  const type = entryType(e);
  const bits: string[] = [];
  let head: string;
  let known = GTF_type_mask | GTF_reading | GTF_writing | GTF_readonly;
  if (type === 'accept_transfer') {
    const committed = (e.flags & GTF_readonly) !== 0;
    const completed = (e.flags & GTF_reading) !== 0;
    // once completed, Xen has overwritten the gfn slot with the MFN
    head = `accept_transfer ← d${e.domid} ${completed ? `frame ${hex(e.frame)}` : `gfn ${e.frame}`}`;
    if (committed) bits.push('committed');
    if (completed) bits.push('completed');
  } else {
    head =
      type === 'permit_access'
        ? `permit_access → d${e.domid} gfn ${e.frame}`
        : `${type} domid ${e.domid} frame ${e.frame}`;
    if (e.flags & GTF_readonly) head += ' ro';
    if (e.flags & GTF_reading) bits.push('reading');
  }
  if (e.flags & GTF_writing) bits.push('writing');
  for (const [name, bit] of [
    ['PWT', GTF_PWT],
    ['PCD', GTF_PCD],
    ['PAT', GTF_PAT],
    ['sub_page', GTF_sub_page],
  ] as const) {
    if (e.flags & bit) bits.push(name);
    known |= bit;
  }
  const unknown = e.flags & ~known;
  if (unknown !== 0) bits.push(hex(unknown));
  return bits.length === 0 ? head : `${head} [${bits.join(', ')}]`;
}

/** "grantee d2 mfn 0x104 hstr=1" */
export function formatActive(a: ActiveGrant): string {
  return `grantee ${domName(a.grantee)} mfn ${hex(a.mfn)} ${formatPins(a)}`;
}

/** "d1 ref 8 host|ro" */
export function formatMapping(m: GrantMapping): string {
  return `${domName(m.granter)} ref ${m.ref} ${formatMapFlags(m.flags)}${m.vcpu ? ` (v${m.vcpu})` : ''}`;
}

/** "mfn 0x104 ro" */
export function formatPte(p: HostMapping): string {
  return `mfn ${hex(p.mfn)} ${p.writable ? 'rw' : 'ro'}`;
}

/** A free list with ascending runs folded: "[2-254, 256-511, 255, 1]". */
export function formatFreeList(list: FreeList): string {
  const parts = list
    .ranges()
    .map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`));
  return `[${parts.join(', ')}]`;
}

/** Numeric keys in ascending order, for output that does not depend on insertion order. */
export function sortedKeys(map: ReadonlyMap<number, unknown> | ReadonlySet<number>): number[] {
  return [...map.keys()].sort((x, y) => x - y);
}

// --- Guest profiles (issue 14; docs/semantics.md §18) ------------------------------------------

/** A guest library's state as labelled facts (label, text), for describe, diff and the viewer's
 * panel alike: the allocator, the deferred list, and what the library and the driver hold. */
export function guestFacts(dom: number, g: GuestLibState | undefined): [string, string][] {
  if (g === undefined) return [];
  const name = domName(dom);
  const refsTo = (m: ReadonlyMap<number, number>): string =>
    sortedKeys(m)
      .map((r) => `${r}→gfn ${m.get(r) ?? 0}`)
      .join(', ') || '(none)';
  const facts: [string, string][] = [
    [
      `${name} library`,
      `${g.profile}, refs 0..${g.size - 1}${g.profile === 'linux' ? `, budget ${g.budget}` : ''}${g.contract ? '' : ', raw calls'}`,
    ],
    [`${name} free list`, g.free.length === 0 ? '(empty)' : g.free.join(' ')],
  ];
  if (g.profile === 'linux') {
    const q = g.deferred.map(
      (d) =>
        `ref ${d.ref}${d.gfn === undefined ? ' (no page)' : ` page gfn ${d.gfn}`} warn ${d.warnDelay}${d.idleTicks > 0 ? ` idle ${d.idleTicks}` : ''}`,
    );
    facts.push([`${name} deferred`, q.join('; ') || '(empty)']);
    facts.push([`${name} warnings`, `${g.warnings}`]);
  }
  if (g.profile === 'mirage') facts.push([`${name} exports`, refsTo(g.exports)]);
  facts.push([`${name} driver grants`, refsTo(g.granted)]);
  facts.push([
    `${name} dropped pages`,
    [...g.droppedPages].sort((a, b) => a - b).join(' ') || '(none)',
  ]);
  return facts;
}

/** A backend driver's requests (docs/semantics.md §19), one line each; none for a domain that
 * never acted as a backend. */
export function backendFacts(dom: number, b: BackendState | undefined): [string, string][] {
  if (b === undefined) return [];
  const name = domName(dom);
  if (b.requests.size === 0) return [[`${name} backend requests`, '(none)']];
  return sortedKeys(b.requests).map((id) => {
    const r = b.requests.get(id);
    const segs = (r?.segments ?? []).map((s) => `ref ${s.ref} h${s.handle}`).join(', ');
    return [
      `${name} backend request ${id}`,
      `${domName(r?.frontend ?? 0)} ${r?.readonly ? 'ro' : 'rw'}: ${segs}`,
    ];
  });
}
