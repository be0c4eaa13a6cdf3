// The differences between two model states as readable lines ("d1 ref 8 entry: flags 0x0001 →
// 0x0009"), for reporting a model/impl mismatch. Empty iff statesEqual.

import { hex } from '../ops/text.ts';
import { ZERO_ENTRY } from './entry.ts';
import { freeLists } from './maptrack.ts';
import {
  domName,
  flags16,
  formatActive,
  formatFreeList,
  formatMapping,
  formatPte,
  guestFacts,
  backendFacts,
} from './format.ts';
import type { DomainState, ModelState } from './state.ts';
import { differingRange, formatPage } from './contents.ts';

function unionKeys(
  a: ReadonlyMap<number, unknown> | ReadonlySet<number>,
  b: ReadonlyMap<number, unknown> | ReadonlySet<number>,
): number[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
}

/** One line per key whose values differ; `show` formats a present value. */
function diffMap<V>(
  out: string[],
  label: (key: number) => string,
  a: ReadonlyMap<number, V>,
  b: ReadonlyMap<number, V>,
  show: (v: V) => string,
  absent: string,
): void {
  if (a === b) return;
  for (const k of unionKeys(a, b)) {
    const x = a.get(k);
    const y = b.get(k);
    const sx = x === undefined ? absent : show(x);
    const sy = y === undefined ? absent : show(y);
    if (sx !== sy) out.push(`${label(k)}: ${sx} → ${sy}`);
  }
}

function field(out: string[], label: string, x: unknown, y: unknown): void {
  if (x !== y) out.push(`${label}: ${String(x)} → ${String(y)}`);
}

function diffDomain(out: string[], a: DomainState, b: DomainState): void {
  if (a === b) return;
  const name = domName(a.id);
  field(out, `${name} id`, a.id, b.id);
  field(out, `${name} privileged`, a.privileged, b.privileged);
  field(out, `${name} pv`, a.pv, b.pv);
  field(out, `${name} death`, a.death ?? 'alive', b.death ?? 'alive');
  field(out, `${name} tot_pages`, a.totPages, b.totPages);
  field(out, `${name} max_pages`, a.maxPages, b.maxPages);
  field(out, `${name} host va pages`, a.hostVaPages, b.hostVaPages);
  diffMap(out, (g) => `${name} p2m gfn ${g}`, a.p2m, b.p2m, hex, '(none)');

  const ga = a.grantTable;
  const gb = b.grantTable;
  field(out, `${name} grant frames`, ga.nrFrames, gb.nrFrames);
  field(out, `${name} max grant frames`, ga.maxFrames, gb.maxFrames);
  if (ga.entries !== gb.entries) {
    for (const ref of unionKeys(ga.entries, gb.entries)) {
      const x = ga.entries.get(ref) ?? ZERO_ENTRY;
      const y = gb.entries.get(ref) ?? ZERO_ENTRY;
      const label = `${name} ref ${ref} entry`;
      if (x.flags !== y.flags)
        out.push(`${label}: flags ${flags16(x.flags)} → ${flags16(y.flags)}`);
      field(out, `${label} domid`, x.domid, y.domid);
      field(out, `${label} frame`, x.frame, y.frame);
    }
  }
  diffMap(out, (r) => `${name} active ref ${r}`, ga.active, gb.active, formatActive, '(unpinned)');

  const ma = a.maptrack;
  const mb = b.maptrack;
  field(out, `${name} maptrack limit`, ma.limit, mb.limit);
  field(out, `${name} maptrack max frames`, ma.maxFrames, mb.maxFrames);
  const la = freeLists(ma);
  const lb = freeLists(mb);
  const multi = la.length > 1 || lb.length > 1;
  for (let v = 0; v < Math.max(la.length, lb.length); v++) {
    const x = la[v];
    const y = lb[v];
    const fa = x === undefined ? '(none)' : formatFreeList(x);
    const fb = y === undefined ? '(none)' : formatFreeList(y);
    const which = multi ? ` (v${v})` : '';
    if (fa !== fb) out.push(`${name} maptrack free list${which}: ${fa} → ${fb}`);
  }
  diffMap(out, (h) => `${name} handle ${h}`, ma.mappings, mb.mappings, formatMapping, '(free)');
  diffMap(out, (p) => `${name} va page ${p}`, a.hostMappings, b.hostMappings, formatPte, '(none)');
  for (const ref of unionKeys(a.rawWritten, b.rawWritten)) {
    const x = a.rawWritten.has(ref);
    const y = b.rawWritten.has(ref);
    if (x !== y)
      out.push(`${name} ref ${ref} raw-written: ${x ? 'yes' : 'no'} → ${y ? 'yes' : 'no'}`);
  }
  if (a.guest !== b.guest) {
    const fa = new Map(guestFacts(a.id, a.guest));
    const fb = new Map(guestFacts(b.id, b.guest));
    for (const label of new Set([...fa.keys(), ...fb.keys()])) {
      const x = fa.get(label) ?? '(none)';
      const y = fb.get(label) ?? '(none)';
      if (x !== y) out.push(`${label}: ${x} → ${y}`);
    }
  }
  if (a.backend !== b.backend) {
    const fa = new Map(backendFacts(a.id, a.backend));
    const fb = new Map(backendFacts(b.id, b.backend));
    for (const label of new Set([...fa.keys(), ...fb.keys()])) {
      const x = fa.get(label) ?? '(none)';
      const y = fb.get(label) ?? '(none)';
      if (x !== y) out.push(`${label}: ${x} → ${y}`);
    }
  }
}

export function diffStates(a: ModelState, b: ModelState): string[] {
  const out: string[] = [];
  if (a === b) return out;
  const n = Math.max(a.domains.length, b.domains.length);
  for (let i = 0; i < n; i++) {
    const da = a.domains[i];
    const db = b.domains[i];
    if (da && db) diffDomain(out, da, db);
    else out.push(`${domName(i)}: ${da ? 'present' : 'absent'} → ${db ? 'present' : 'absent'}`);
  }
  diffMap(out, (m) => `mfn ${hex(m)} owner`, a.frameOwner, b.frameOwner, domName, '(free)');
  if (a.contents !== b.contents) {
    for (const mfn of unionKeys(a.contents, b.contents)) {
      const x = a.contents.get(mfn);
      const y = b.contents.get(mfn);
      const range = differingRange(x, y);
      if (range === null) continue;
      out.push(
        `mfn ${hex(mfn)} contents: ${formatPage(x)} → ${formatPage(y)}` +
          ` (bytes ${range.start}..${range.end - 1} differ)`,
      );
    }
  }
  return out;
}
