// The files of a user's project that depends on the packed grantcheck: a script run under plain
// node, a TypeScript file type-checked under two module resolutions, and their tsconfigs.

/** Plain JavaScript under plain node: the op text form, the model, a suite, a user's invariant. */
export const USER_SCRIPT = `
import {
  buildSuite, DEFAULT_CONFIG, formatOp, formatResult, initialState, INVARIANTS, parseOp,
  runSuite, step, VERSION, violationName,
} from 'grantcheck';

const parsed = parseOp('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
if (!parsed.ok) throw new Error(parsed.error);
const { result } = step(initialState(DEFAULT_CONFIG), parsed.op);
const suite = buildSuite('conformance');
const atMostOneHostMapping = {
  name: 'at-most-one-host-mapping',
  statement: 'no domain holds two host mappings',
  source: 'a user of the library',
  reads: ['hostMappings'],
  onModel: (s) => (s.domains.some((d) => d.hostMappings.size > 1) ? 'two host mappings' : null),
  onImpl: () => null,
};
const strict = { ...suite, invariants: [...INVARIANTS, atMostOneHostMapping] };
const caught = runSuite(strict, { seed: 42, runs: 400 });
console.log(JSON.stringify({
  version: VERSION,
  op: formatOp(parsed.op),
  result: formatResult(result),
  pass: runSuite(suite, { seed: 42, runs: 20 }).kind,
  caught: caught.kind === 'violation' ? violationName(caught.violation) : caught.kind,
}));
`;

/** TypeScript that must type-check: the public types in use, and two misuses that must not. */
export const USER_TS = `
import { DEFAULT_CONFIG, buildSuite, initialState, runSuite, step } from 'grantcheck';
import type {
  ModelState, Op, OpResult, StateInvariant, Step, SuiteOutcome, Transition, StepProperty,
} from 'grantcheck';

const op: Op = { kind: 'end_access', dom: 1, ref: 8 };
const s0: ModelState = initialState(DEFAULT_CONFIG);
const next: Step = step(s0, op);
const result: OpResult = next.result;
export const kind: 'end_access' | string = result.kind;

export const mine: StateInvariant = {
  name: 'no-domain-has-two-host-mappings',
  statement: 'no domain holds two host mappings',
  source: 'a user of the library',
  reads: ['hostMappings'],
  onModel: (s: ModelState) => (s.domains.some((d) => d.hostMappings.size > 1) ? 'two' : null),
  onImpl: () => null,
};
export const prop: StepProperty = {
  name: 'no-op-changes-domain-count',
  statement: 'the number of domains never changes',
  source: 'a user of the library',
  check: (t: Transition) => (t.before.domains.length === t.after.domains.length ? null : 'changed'),
};

const suite = buildSuite('protocol');
if (suite !== undefined) {
  const outcome: SuiteOutcome = runSuite(suite, { seed: 1, runs: 1 });
  if (outcome.kind === 'violation') console.log(outcome.report.steps.length);
}

// @ts-expect-error: not an op kind of the vocabulary
export const bad: Op = { kind: 'frobnicate', dom: 1 };
// @ts-expect-error: step takes the state first
step(op, s0);
// @ts-expect-error: reads names parts of the state
export const badReads: StateInvariant = { ...mine, reads: ['everything'] };
`;

/** A user's tsconfig: strict, and skipLibCheck as `tsc --init` writes it (checking zod's and
 * fast-check's .d.ts takes half a minute); the @ts-expect-error lines in USER_TS fail if our
 * types do not resolve and fall back to `any`. */
export function userTsconfig(module: 'nodenext' | 'bundler'): string {
  const modules =
    module === 'nodenext'
      ? { module: 'nodenext', moduleResolution: 'nodenext' }
      : { module: 'esnext', moduleResolution: 'bundler' };
  return JSON.stringify({
    compilerOptions: {
      ...modules,
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    files: ['user.ts'],
  });
}
