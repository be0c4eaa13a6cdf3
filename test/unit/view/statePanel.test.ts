// The viewer's state panel as data: a state cut into keyed facts by section (flags decoded),
// what changed since the previous step, and abstract(impl)'s value where it differs.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/configDefaults.ts';
import { parseOp } from '../../../src/index.ts';
import { initialState, step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import { ABSENT, stateFacts, statePanel, ZERO_ENTRY_TEXT } from '../../../src/view/statePanel.ts';
import type { StatePanel } from '../../../src/view/statePanel.ts';

function run(state: ModelState, ...texts: string[]): ModelState {
  let s = state;
  for (const text of texts) {
    const parsed = parseOp(text);
    if (!parsed.ok) throw new Error(parsed.error);
    s = step(s, parsed.op).state;
  }
  return s;
}

function rowOf(panel: StatePanel, section: string, key: string) {
  return panel.sections.find((s) => s.title === section)?.rows.find((r) => r.key === key);
}

const start = initialState(DEFAULT_CONFIG);
const granted = run(start, 'grant_access(d1 ref=8 -> d2 gfn=0 rw)');
const mapped = run(granted, 'map(d2: d1 ref=8 host|ro @0x5000)');

describe('stateFacts', () => {
  it('the initial state: domains and page owners, no grant entries, pins or maptrack', () => {
    const sections = new Set(stateFacts(start).map((f) => f.section));
    expect([...sections]).toEqual(['domains', 'page owners']);
    expect(stateFacts(start).filter((f) => f.section === 'page owners')).toHaveLength(12);
  });

  it("a grant entry's flags are shown raw and decoded; a mapping shows pins, handle and PTE", () => {
    const facts = stateFacts(mapped);
    const text = (section: string, key: string) =>
      facts.find((f) => f.section === section && f.key === key)?.text;
    expect(text('grant entries', 'd1 ref 8')).toBe('0x0009 permit_access → d2 gfn 0 [reading]');
    expect(text('active pins', 'd1 ref 8')).toMatch(/^grantee d2 mfn 0x104 hstr=1/);
    expect(text('maptrack', 'd2 handle 0')).toBe('d1 ref 8 host|ro');
    expect(text('maptrack', 'd2 free list')).toMatch(/^head 1 /);
    expect(text('host mappings', 'd2 va page 5')).toBe('mfn 0x104 ro');
  });

  it('facts are unique by section and key', () => {
    const keys = stateFacts(mapped).map((f) => `${f.section}/${f.key}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('statePanel', () => {
  it('the initial panel: nothing changed, nothing differs', () => {
    const p = statePanel({ step: 0, previous: null, state: start, impl: start });
    expect(p).toMatchObject({ step: 0, shows: 'model', changes: 0, differences: 0 });
  });

  it('marks what a step changed, and only that', () => {
    const p = statePanel({ step: 2, previous: granted, state: mapped, impl: mapped });
    const changed = p.sections.flatMap((s) => s.rows.filter((r) => r.changed).map((r) => r.key));
    expect(changed).toEqual([
      'd1 ref 8', // the entry gains GTF_reading
      'd1 ref 8', // a pin
      'd2 free list',
      'd2 handle 0',
      'd2 va page 5',
    ]);
    expect(p.changes).toBe(5);
    expect(rowOf(p, 'domains', 'd1')?.changed).toBe(false);
  });

  it('a fact gone since the previous step reads ABSENT and is marked', () => {
    const unmapped = run(mapped, 'unmap(d2: h=0 host=0x5000 dev=0x0)');
    const p = statePanel({ step: 3, previous: mapped, state: unmapped });
    expect(rowOf(p, 'maptrack', 'd2 handle 0')).toEqual({
      key: 'd2 handle 0',
      value: ABSENT,
      changed: true,
    });
    expect(rowOf(p, 'active pins', 'd1 ref 8')?.value).toBe(ABSENT);
  });

  it("abstract(impl)'s value stands beside the model's only where they differ", () => {
    const p = statePanel({ step: 1, previous: start, state: granted, impl: mapped });
    expect(rowOf(p, 'grant entries', 'd1 ref 8')?.impl).toBe(
      '0x0009 permit_access → d2 gfn 0 [reading]',
    );
    expect(rowOf(p, 'maptrack', 'd2 handle 0')).toMatchObject({
      value: ABSENT,
      impl: 'd1 ref 8 host|ro',
      changed: false,
    });
    expect(rowOf(p, 'domains', 'd1')?.impl).toBeUndefined();
    expect(p.differences).toBe(5);
  });

  it('a grant entry one side lacks is all zero, and reads so', () => {
    const p = statePanel({ step: 1, previous: start, state: granted, impl: start });
    expect(rowOf(p, 'grant entries', 'd1 ref 8')).toEqual({
      key: 'd1 ref 8',
      value: '0x0001 permit_access → d2 gfn 0',
      impl: ZERO_ENTRY_TEXT,
      changed: true,
    });
  });

  it('a run without model states shows abstract(impl) alone', () => {
    const p = statePanel({ step: 3, previous: granted, state: mapped, shows: 'abstract(impl)' });
    expect(p.shows).toBe('abstract(impl)');
    expect(p.differences).toBe(0);
  });
});
