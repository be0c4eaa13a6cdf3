// The sequential twins (bin/gen-sequential.ts, src/impl/sequential.ts): GrantSystem.apply runs the
// twin of an op, the interleaving engine its steps. Both must be the same impl: checked over
// random op streams for the correct impl and every fault; the generator refuses what it cannot
// twin; every step part of the built-in impl and of every fault has a twin.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateTwins, TwinError } from '../../../bin/gen-sequential.ts';
import { makeConfig } from '../../../src/config.ts';
import type { GrantConfig } from '../../../src/config.ts';
import { FAULTS } from '../../../src/faults/index.ts';
import { raceConfig } from '../../../src/faults/race.ts';
import type { ImplParts, SequentialParts } from '../../../src/impl/index.ts';
import { abstractUncached, DEFAULT_PARTS, GrantSystem, runToEnd } from '../../../src/impl/index.ts';
import { STEP_PARTS } from '../../../src/impl/parts.ts';
import { sequentialParts, twinOf, untwinnedParts } from '../../../src/impl/sequential.ts';
import { withParts } from '../../../src/impl/system.ts';
import { stateKey } from '../../../src/model/key.ts';
import type { Op, OpKind } from '../../../src/ops/op.ts';
import { buildSuite } from '../../../properties/suites.ts';
import { testSeeds } from '../../support/seeds.ts';

/** `count` streams of 60 ops for `config`, of the given kinds (all the suite's when empty). */
function streams(config: GrantConfig, kinds: readonly OpKind[], seed: number, count = 12): Op[][] {
  const suite = buildSuite('conformance', config);
  if (!suite) throw new Error('no conformance suite');
  const run = suite.plan.chain((plan) => {
    const wanted = plan.kinds.filter((k) => kinds.length === 0 || kinds.includes(k));
    const use = wanted.length > 0 ? wanted : plan.kinds;
    return fc.array(fc.oneof(...use.map((k) => plan.arbitrary(k))), {
      minLength: 60,
      maxLength: 60,
    });
  });
  return fc.sample(run, { seed, numRuns: count });
}

/** Everything a snapshot holds but its content versions (numbers from a global counter). */
function concreteState(s: GrantSystem): string {
  return JSON.stringify(s.snapshot(), (key, value: unknown) => {
    if (/version/i.test(key)) return undefined;
    if (value instanceof ArrayBuffer) return Buffer.from(value).toString('hex');
    if (ArrayBuffer.isView(value)) {
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
    }
    if (value instanceof Map) return [...value.entries()];
    if (value instanceof Set) return [...value.values()];
    return value;
  });
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function attempt(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (e) {
    return { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/** Run `ops` through the twins on one system and through the steps (run to their end) on
 * another; the first difference in a result or in the final state, or null. */
function firstDifference(
  config: GrantConfig,
  parts: Partial<ImplParts>,
  ops: readonly Op[],
  tamper?: (twins: SequentialParts) => SequentialParts,
): string | null {
  const twin = new GrantSystem(config, parts);
  const steps = new GrantSystem(config, parts);
  if (tamper) {
    const xen = twin.xen as { sequentialParts: SequentialParts };
    xen.sequentialParts = tamper(xen.sequentialParts);
  }
  for (const [i, op] of ops.entries()) {
    const a = attempt(() => twin.apply(op));
    const b = attempt(() => runToEnd(steps.steps(op)));
    if (!a.ok || !b.ok) {
      // A fault that breaks one of Xen's own assertions (put_page of nothing…) must break both,
      // with the same error; both stopped at the same point, so on to the next op.
      if (a.ok || b.ok) return `op ${i} ${JSON.stringify(op)}: only one of the two threw`;
      if (a.error !== b.error) return `op ${i}: twin threw ${a.error}, steps ${b.error}`;
      continue;
    }
    if (JSON.stringify(a.value) !== JSON.stringify(b.value)) {
      return `op ${i} ${JSON.stringify(op)}: twin ${JSON.stringify(a.value)}, steps ${JSON.stringify(b.value)}`;
    }
  }
  if (concreteState(twin) !== concreteState(steps)) return 'final impl states differ';
  if (stateKey(abstractUncached(twin)) !== stateKey(abstractUncached(steps))) {
    return 'final abstract states differ';
  }
  return null;
}

const BASE = makeConfig();

describe('sequential twins run as the steps do', () => {
  const seeds = testSeeds('sequential twins');
  const subjects: [string, Partial<ImplParts>, GrantConfig, readonly OpKind[]][] = [
    ['correct impl', {}, BASE, []],
    ['correct impl, two vCPUs', {}, makeConfig({ vcpus: 2 }), []],
    ...FAULTS.map((f): [string, Partial<ImplParts>, GrantConfig, readonly OpKind[]] => [
      f.id,
      f.parts,
      raceConfig(BASE, f.race),
      f.search.kinds,
    ]),
  ];
  it.each(subjects)('%s: same results and final state', (_, parts, config, kinds) => {
    for (const seed of seeds) {
      for (const ops of [...streams(config, kinds, seed), ...streams(config, [], seed, 3)]) {
        expect(firstDifference(config, parts, ops), `seed ${seed}`).toBeNull();
      }
    }
  });

  it('the comparison notices a twin that differs (LIFO handle reuse in the twin only)', () => {
    const lifo: SequentialParts['putMaptrackHandle'] = (t, handle) => {
      const v = t.vcpu(handle);
      t.setRef(handle, t.headOf(v));
      t.setHead(v, handle);
    };
    const found = streams(BASE, ['grant_access', 'map_grant_ref', 'unmap_grant_ref'], 1).some(
      (ops) =>
        firstDifference(BASE, {}, ops, (twins) => ({ ...twins, putMaptrackHandle: lifo })) !== null,
    );
    expect(found).toBe(true);
  });
});

describe('every step part has a twin', () => {
  const tables: [string, Partial<ImplParts>][] = [
    ['correct impl', DEFAULT_PARTS],
    ...FAULTS.map((f): [string, Partial<ImplParts>] => [f.id, f.parts]),
  ];
  const generatorFunction = Object.getPrototypeOf(function* () {}) as unknown;

  it.each(tables)('%s: its step parts are twinned plain functions', (_, parts) => {
    const table = sequentialParts(withParts(parts));
    expect(untwinnedParts(table)).toEqual([]);
    for (const name of Object.keys(STEP_PARTS) as (keyof typeof STEP_PARTS)[]) {
      const part = parts[name];
      if (part !== undefined) expect(twinOf(part), name).toBe(table[name]);
      expect(Object.getPrototypeOf(table[name]), name).not.toBe(generatorFunction);
    }
  });

  it('a step part written outside src/impl and src/faults is named as untwinned', () => {
    // eslint-disable-next-line require-yield -- a step part that never pauses
    const setStatus: ImplParts['setStatus'] = function* () {
      return 0;
    };
    const table = sequentialParts(withParts({ setStatus }));
    expect(untwinnedParts(table)).toEqual(['setStatus']);
    // still correct: the steps run to their end
    expect(table.setStatus(DEFAULT_PARTS as never, 0, false, false, false, 0)).toBe(0);
  });
});

describe('gen-sequential', () => {
  const HEAD =
    "import { pausing, type Steps } from '../steps.ts';\n" +
    "import type { Pause } from '../steps.ts';\n" +
    'declare const pause: Pause;\n';
  const twin = (body: string): string => {
    const out = generateTwins(new Map([['src/impl/hypervisor/x.ts', HEAD + body]]));
    return out.get('src/sequential.gen/impl/hypervisor/x.ts') ?? '';
  };

  it('removes pause points and yield*, keeps the rest', () => {
    const out = twin(
      'export function* f(): Steps<number> {\n' +
        '  if (pausing) yield pause;\n' +
        '  const w = pausing ? yield pause : undefined;\n' +
        '  return (yield* g()) + (w === true ? 1 : 0);\n' +
        '}\n' +
        'function* g(): Steps<number> {\n' +
        '  return 41;\n' +
        '}\n',
    );
    expect(out).toContain('export function f(): number {');
    expect(out).toContain('return (g()) + (w === true ? 1 : 0);');
    expect(out).toContain('function g(): number {');
    expect(out).not.toMatch(/yield|pausing|Steps/);
    expect(out).toContain('[source$.f, f]');
  });

  it("removes a pause point as StrykerJS's instrumentation rewrites it (npm run mutation)", () => {
    const out = twin(
      'declare function stryMutAct_1(id: string): boolean;\n' +
        'declare function stryCov_1(...ids: string[]): void;\n' +
        'export function* f(): Steps<number> {\n' +
        '  if (stryMutAct_1("2") ? false : stryMutAct_1("1") ? true : (stryCov_1("1", "2"), pausing)) yield pause;\n' +
        '  return 1;\n' +
        '}\n',
    );
    expect(out).toContain('export function f(): number {');
    expect(out).not.toMatch(/yield|pausing/);
  });

  it.each([
    ['a yield that is not a pause point', 'const v = yield pause; return v;', 'unknown yield form'],
    ['a yield* of something not a call', 'yield* [pause]; return 1;', 'unknown yield* form'],
    ['pausing read elsewhere', 'if (pausing) g(); return 1;', 'pausing read outside'],
    ['a pause point with an else', 'if (pausing) yield pause; else g();', 'pausing read outside'],
    ['runToEnd inside steps', 'return runToEnd(g());', 'runToEnd inside steps'],
    ['a yield* of a call of no known step', 'yield* g(); return 1;', 'not known to be steps'],
    ['a yield* of steps made earlier', 'const s = g(); yield* s; return 1;', 'not known to be'],
  ])('rejects %s, in one line naming it', (_, body, message) => {
    const source = `export function* f(): Steps<unknown> {\n  ${body}\n}\nfunction g() {}\n`;
    let error: unknown;
    try {
      twin(source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TwinError);
    const text = (error as Error).message;
    expect(text).toContain('src/impl/hypervisor/x.ts:5: ');
    expect(text).toContain(message);
    expect(text).not.toContain('\n');
  });

  it('rejects a step function that a table uses but that is not exported', () => {
    const source = 'function* f(): Steps<number> {\n  return 1;\n}\nexport const T = { f };\n';
    expect(() => twin(source)).toThrow(/step function f is used by T but not exported/);
  });
});
