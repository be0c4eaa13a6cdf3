// The trace viewer's state panel as data: a model state cut into keyed facts by section (grant
// entries with their GTF_* flags decoded, active pins, maptrack, PTEs, page owners, contents
// digests), each marked when it changed since the previous step and, where abstract(impl)
// differs from the model, with the impl's value beside it. Pure and tested as data.

import { hex } from '../ops/text.ts';
import {
  domName,
  flags16,
  formatActive,
  formatEntry,
  formatFreeList,
  formatMapping,
  formatPte,
  guestFacts,
  backendFacts,
  sortedKeys,
} from '../model/format.ts';
import { freeLists } from '../model/maptrack.ts';
import { formatPage } from '../model/contents.ts';
import type { ModelState } from '../model/state.ts';

export const SECTIONS = [
  'domains',
  'grant entries',
  'active pins',
  'maptrack',
  'host mappings',
  'guest library',
  'page owners',
  'page contents',
] as const;
export type Section = (typeof SECTIONS)[number];

/** One fact of a state: `key` is unique within its section. */
export interface StateFact {
  readonly section: Section;
  readonly key: string;
  readonly text: string;
}

/** Every fact of `state`, in section order and, within a section, in the state's order. */
export function stateFacts(state: ModelState): StateFact[] {
  const by = new Map<Section, StateFact[]>(SECTIONS.map((s) => [s, []]));
  const add = (section: Section, key: string, text: string): void =>
    void by.get(section)?.push({ section, key, text });
  for (const d of state.domains) {
    const name = domName(d.id);
    const gt = d.grantTable;
    add(
      'domains',
      name,
      `${d.privileged ? 'control domain, ' : ''}${d.death === undefined ? '' : `${d.death}, `}tot_pages ${d.totPages}/${d.maxPages}, grant frames ${gt.nrFrames}/${gt.maxFrames}`,
    );
    const p2m = sortedKeys(d.p2m).map((g) => `${g}→${hex(d.p2m.get(g) ?? 0)}`);
    add('domains', `${name} p2m`, p2m.join(' ') || '(empty)');
    for (const ref of sortedKeys(new Set([...gt.entries.keys(), ...d.rawWritten]))) {
      const e = gt.entries.get(ref);
      const raw = d.rawWritten.has(ref) ? ' (raw-written)' : '';
      add(
        'grant entries',
        `${name} ref ${ref}`,
        e ? `${flags16(e.flags)} ${formatEntry(e)}${raw}` : `zero${raw}`,
      );
    }
    for (const ref of sortedKeys(gt.active)) {
      const a = gt.active.get(ref);
      if (a) add('active pins', `${name} ref ${ref}`, formatActive(a));
    }
    const mt = d.maptrack;
    if (mt.limit > 0) {
      const lists = freeLists(mt);
      lists.forEach((list, v) => {
        const which = lists.length > 1 ? ` v${v}` : '';
        add(
          'maptrack',
          `${name} free list${which}`,
          `head ${list.head ?? '-'} ${formatFreeList(list)}${v === 0 ? ` (limit ${mt.limit})` : ''}`,
        );
      });
    }
    for (const handle of sortedKeys(mt.mappings)) {
      const m = mt.mappings.get(handle);
      if (m) add('maptrack', `${name} handle ${handle}`, formatMapping(m));
    }
    for (const page of sortedKeys(d.hostMappings)) {
      const p = d.hostMappings.get(page);
      if (p) add('host mappings', `${name} va page ${page}`, formatPte(p));
    }
    for (const [label, text] of guestFacts(d.id, d.guest)) add('guest library', label, text);
    for (const [label, text] of backendFacts(d.id, d.backend)) add('guest library', label, text);
  }
  for (const mfn of sortedKeys(state.frameOwner)) {
    const owner = state.frameOwner.get(mfn);
    if (owner !== undefined) add('page owners', `mfn ${hex(mfn)}`, domName(owner));
  }
  for (const mfn of sortedKeys(state.contents)) {
    add('page contents', `mfn ${hex(mfn)}`, formatPage(state.contents.get(mfn)));
  }
  return SECTIONS.flatMap((s) => by.get(s) ?? []);
}

/** What a fact reads when the state lacks it. */
export const ABSENT = '(none)';
/** A grant entry the state lacks is all zero (GrantTable.entries holds the non-zero ones). */
export const ZERO_ENTRY_TEXT = '0x0000 (zero)';

function absentIn(section: Section): string {
  return section === 'grant entries' ? ZERO_ENTRY_TEXT : ABSENT;
}

export interface PanelRow {
  readonly key: string;
  /** The value shown (the model's, or abstract(impl)'s when there is no model). */
  readonly value: string;
  /** abstract(impl)'s value, only where it differs from the model's. */
  readonly impl?: string;
  /** The value differs from the previous step's. */
  readonly changed: boolean;
}

export interface PanelSection {
  readonly title: Section;
  readonly rows: readonly PanelRow[];
}

export interface StatePanel {
  /** 0: the initial state; n: after diagram row n. */
  readonly step: number;
  /** What `value` shows: `model`, or `abstract(impl)` for a run without model states. */
  readonly shows: 'model' | 'abstract(impl)';
  /** Rows with a differing impl value. */
  readonly differences: number;
  readonly changes: number;
  readonly sections: readonly PanelSection[];
}

function keyed(facts: readonly StateFact[]): Map<string, StateFact> {
  return new Map(facts.map((f) => [`${f.section}\u0000${f.key}`, f]));
}

/** The panel after a step: `state` (the model's, or abstract(impl) alone), compared with the
 * previous step's and, when given, with abstract(impl). A fact gone since the previous step, or
 * present on one side only, is a row reading ABSENT (a grant entry: ZERO_ENTRY_TEXT) on the
 * side that lacks it. */
export function statePanel(args: {
  readonly step: number;
  readonly previous: ModelState | null;
  readonly state: ModelState;
  readonly impl?: ModelState;
  readonly shows?: StatePanel['shows'];
}): StatePanel {
  const now = keyed(stateFacts(args.state));
  const before = args.previous ? keyed(stateFacts(args.previous)) : null;
  const impl = args.impl ? keyed(stateFacts(args.impl)) : null;
  // Every fact any of the three states has, in section order, then in first-seen order.
  const all = new Map<string, StateFact>();
  for (const m of [now, impl, before]) for (const [k, f] of m ?? []) if (!all.has(k)) all.set(k, f);
  let differences = 0;
  let changes = 0;
  const sections = SECTIONS.map((title): PanelSection => {
    const rows: PanelRow[] = [];
    for (const [k, f] of all) {
      if (f.section !== title) continue;
      const absent = absentIn(title);
      const value = now.get(k)?.text ?? absent;
      const old = before === null ? value : (before.get(k)?.text ?? absent);
      const other = impl === null ? value : (impl.get(k)?.text ?? absent);
      const changed = old !== value;
      if (changed) changes++;
      if (other !== value) differences++;
      rows.push({ key: f.key, value, ...(other === value ? {} : { impl: other }), changed });
    }
    return { title, rows };
  });
  return {
    step: args.step,
    shows: args.shows ?? 'model',
    differences,
    changes,
    sections,
  };
}
