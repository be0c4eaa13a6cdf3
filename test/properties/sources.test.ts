// Every `source` of the invariant catalogue, the step properties and the fault catalogue cites
// what Xen (or the guest library) itself says: a file and function, an XSA, a commit. None names
// a file outside this repository (the team's notes), and a .md it names exists here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { FAULTS } from '../../src/faults/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Citations of the team's notes: a section of a .md, their H§/G§ shorthands, surface-2. */
const NOTES = /\.md §|H§|G§|surface-2|hypervisor\.md|guest\.md/;

const sources: readonly (readonly [string, string])[] = [
  ...INVARIANTS.map((i) => [`invariant ${i.name}`, i.source] as const),
  ...STEP_PROPERTIES.map((p) => [`step property ${p.name}`, p.source] as const),
  ...FAULTS.map((f) => [`fault ${f.id}`, f.source] as const),
];

/** A `.md §` citation is allowed only of a document in this repository. */
function outsideNotes(source: string): string | null {
  for (const m of source.matchAll(/(\S+\.md) §/g)) {
    const path = m[1] ?? '';
    if (!path.startsWith('docs/') || !existsSync(join(ROOT, path))) return m[0];
  }
  const rest = source.replace(/docs\/\S+\.md §/g, '');
  return NOTES.exec(rest)?.[0] ?? null;
}

describe('catalogue sources', () => {
  it('cover every invariant, step property and fault', () => {
    expect(sources.length).toBe(INVARIANTS.length + STEP_PROPERTIES.length + FAULTS.length);
    for (const [, source] of sources) expect(source.trim()).not.toBe('');
  });

  it.each(sources)('%s cites no file outside the repository', (_, source) => {
    expect(outsideNotes(source)).toBeNull();
  });

  it('the check catches the citations it is for', () => {
    expect(outsideNotes('hypervisor.md §10 I5')).toBe('hypervisor.md §');
    expect(outsideNotes('guest.md §6.4 I2')).toBe('guest.md §');
    expect(outsideNotes('H§2.3')).toBe('H§');
    expect(outsideNotes('G§3')).toBe('G§');
    expect(outsideNotes('surface-2 notes')).toBe('surface-2');
    expect(outsideNotes('docs/nowhere.md §1')).toBe('docs/nowhere.md §');
    expect(outsideNotes('docs/semantics.md §13; _set_status_v1')).toBeNull();
    expect(outsideNotes('xen/common/grant_table.c map_grant_ref (XSA-316)')).toBeNull();
  });
});
