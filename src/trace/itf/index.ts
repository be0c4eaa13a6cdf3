// A grantcheck trace as an ITF trace (the Informal Trace Format of Apalache and Quint, ADR-015:
// https://apalache-mc.org/docs/adr/015adr-trace.html) and back. Each ITF state is one state of
// the run, the initial one first, with the op that led to it and both sides' results as
// variables; `#meta.grantcheck` keeps the rest of the trace (config, fault, origin with its seed,
// verdict, an interleaving), so that reading the ITF gives back the very same trace.

import { z } from 'zod';
import type { InputResult } from '../../input/index.ts';
import { validate } from '../../input/index.ts';
import { OpSchema } from '../../ops/schema.ts';
import type { Trace } from '../format.ts';
import { OpResultSchema, TraceSchema } from '../format.ts';
import { StateJsonSchema } from '../stateJson.ts';
import type { StateVar } from './state.ts';
import { STATE_VAR_SHAPE, STATE_VARS, stateFromItf, stateToItf } from './state.ts';
import type { ItfValue } from './values.ts';
import { ItfJsonSchema, ItfUnitSchema, itfVariant, itfVariantSchema, jsonToItf } from './values.ts';

export const ITF_SPEC = 'https://apalache-mc.org/docs/adr/015adr-trace.html';

/** The file name ending of an ITF trace, by the spec's convention. */
export const ITF_EXTENSION = '.itf.json';

/** Every state's variables: the model state's parts, then the step that led to it. */
export const ITF_VARS = [
  ...STATE_VARS,
  'action',
  'modelResult',
  'implResult',
  'implState',
] as const;

type ItfVar = (typeof ITF_VARS)[number];

export interface ItfState {
  readonly '#meta': { readonly index: number; readonly text?: string };
  readonly [variable: string]: ItfValue | ItfState['#meta'];
}

export interface ItfTrace {
  readonly '#meta': {
    readonly format: 'ITF';
    readonly 'format-description': string;
    readonly source: string;
    readonly description: string;
    readonly grantcheck: Omit<Trace, 'initialState' | 'steps'>;
  };
  readonly vars: readonly string[];
  readonly states: readonly ItfState[];
}

/** The tag of `action` in the initial state, and of both results there. */
const INIT = 'init';
const NONE = 'none';

function describe(trace: Trace): string {
  const v = trace.verdict;
  const verdict =
    v.kind === 'pass'
      ? 'passes'
      : `${v.check}${v.name === undefined ? '' : ` ${v.name}`} at ${v.step === -1 ? 'the initial state' : `step ${v.step + 1}`}`;
  const run = trace.interleaving
    ? `an interleaved run (its initial state only; setup, programs and schedule in #meta.grantcheck.interleaving)`
    : `${trace.steps.length} steps`;
  return `grantcheck trace: ${run}${trace.fault === null ? '' : `, fault ${trace.fault}`}; ${verdict}`;
}

/** A trace as ITF. Only the parts of the step that are not derived are written: the op's text
 * goes into the state's `#meta`, as a reader's aid that the import keeps. */
export function traceToItf(trace: Trace): ItfTrace {
  const { initialState, steps, ...header } = trace;
  const variant = (r: { readonly kind: string }): ItfValue => {
    const { kind, ...rest } = r;
    return itfVariant(kind, jsonToItf(rest));
  };
  const vars = (
    state: typeof initialState,
    step: Record<Exclude<ItfVar, StateVar>, ItfValue>,
  ): Record<ItfVar, ItfValue> => ({ ...stateToItf(state), ...step });
  return {
    '#meta': {
      format: 'ITF',
      'format-description': ITF_SPEC,
      source: trace.tool,
      description: describe(trace),
      grantcheck: header,
    },
    vars: ITF_VARS,
    states: [
      {
        '#meta': { index: 0 },
        ...vars(initialState, {
          action: itfVariant(INIT),
          modelResult: itfVariant(NONE),
          implResult: itfVariant(NONE),
          implState: itfVariant('None'),
        }),
      },
      ...steps.map((s, i): ItfState => ({
        '#meta': { index: i + 1, text: s.text },
        ...vars(s.state, {
          action: variant(s.op),
          modelResult: variant(s.model),
          implResult: variant(s.impl),
          implState:
            s.implState === undefined
              ? itfVariant('None')
              : itfVariant('Some', stateToItf(s.implState)),
        }),
      })),
    ],
  };
}

/** The canonical bytes of an ITF trace: same trace, same bytes. Indented, with every value
 * whose JSON fits in SHORT characters on one line: `{"#bigint": "7"}` is one line, not three. */
export function serialiseItf(itf: ItfTrace): string {
  return `${layout(itf, '')}\n`;
}

const SHORT = 72;

/** `value` as JSON.stringify writes it (a field set to undefined left out, an undefined list
 * element written null), laid out as serialiseItf says. */
function layout(value: unknown, indent: string): string {
  const flat = JSON.stringify(value) ?? 'null';
  if (flat.length <= SHORT || typeof value !== 'object' || value === null) return flat;
  const inner = `${indent} `;
  const items = Array.isArray(value)
    ? value.map((v) => `${inner}${layout(v, inner)}`)
    : Object.entries(value)
        .filter(([, v]) => JSON.stringify(v) !== undefined)
        .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${layout(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return items.length === 0 ? flat : `${open}\n${items.join(',\n')}\n${indent}${close}`;
}

/** Is this parsed JSON an ITF trace rather than grantcheck's own format? It has the ITF keys
 * and no `format` (every grantcheck trace has one). */
export function isItf(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if ('format' in value) return false;
  return '#meta' in value || 'vars' in value || 'states' in value;
}

// ---- reading ----

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A variant `{tag, value}` read as the JSON object `{kind: tag, ...value}` and checked by the
 * op's or result's own schema, whose first problem is named by its path in the variant (`kind`
 * is the tag). */
const kindVariant = <T>(schema: z.ZodType<T, unknown>) =>
  z.strictObject({ tag: z.string(), value: ItfJsonSchema }).transform((v, ctx): T => {
    if (!isRecord(v.value)) {
      ctx.addIssue({ code: 'custom', message: 'expected a record', path: ['value'] });
      return z.NEVER;
    }
    const parsed = schema.safeParse({ ...v.value, kind: v.tag });
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const [first, ...rest] = issue?.path ?? [];
    const path =
      first === 'kind' ? ['tag'] : first === undefined ? ['value'] : ['value', first, ...rest];
    const unknown = issue?.code === 'unrecognized_keys' ? [issue.keys[0] ?? ''] : [];
    ctx.addIssue({
      code: 'custom',
      message: issue?.code === 'unrecognized_keys' ? 'unknown key' : (issue?.message ?? 'invalid'),
      path: [...path, ...unknown],
    });
    return z.NEVER;
  });

/** The model state's variables, joined into a StateJson (checked by its schema afterwards). */
const StateVarsSchema = z.strictObject(STATE_VAR_SHAPE).transform(stateFromItf);

/** A state: its `#meta`, the model state and the step that led to it (checked per kind of
 * state: the initial one has none). */
const stateSchema = <M extends { readonly index: number }, A, R, S>(
  meta: z.ZodType<M, unknown>,
  action: z.ZodType<A, unknown>,
  result: z.ZodType<R, unknown>,
  implState: z.ZodType<S, unknown>,
) =>
  z
    .strictObject({
      '#meta': meta,
      ...STATE_VAR_SHAPE,
      action,
      modelResult: result,
      implResult: result,
      implState,
    })
    .transform((s, ctx) => {
      const vars = Object.fromEntries(STATE_VARS.map((name) => [name, s[name]]));
      return {
        meta: s['#meta'],
        action: s.action,
        modelResult: s.modelResult,
        implResult: s.implResult,
        implState: s.implState,
        state: stateFromItf(vars as Parameters<typeof stateFromItf>[0], ctx),
      };
    });

const InitialStateSchema = stateSchema(
  z.looseObject({ index: z.literal(0) }),
  itfVariantSchema(INIT, ItfUnitSchema),
  itfVariantSchema(NONE, ItfUnitSchema),
  itfVariantSchema('None', ItfUnitSchema),
);

const StepStateSchema = stateSchema(
  z.looseObject({ index: z.number().int().min(1), text: z.string() }),
  kindVariant(OpSchema),
  kindVariant(OpResultSchema),
  z.discriminatedUnion('tag', [
    itfVariantSchema('None', ItfUnitSchema),
    itfVariantSchema('Some', StateVarsSchema),
  ]),
);

const HeaderSchema = TraceSchema.omit({ initialState: true, steps: true });

const ItfTraceSchema = z.strictObject({
  '#meta': z.looseObject({ grantcheck: HeaderSchema }),
  params: z.array(z.string()).max(0, 'grantcheck writes no params').optional(),
  vars: z
    .array(z.string())
    .refine(
      (vars) => vars.length === ITF_VARS.length && ITF_VARS.every((v) => vars.includes(v)),
      `expected the variables ${ITF_VARS.join(', ')}`,
    ),
  states: z.tuple([InitialStateSchema], StepStateSchema),
});

/** The path of a field of the rebuilt trace, as the ITF file names it. */
export function itfPathOf(error: string): string {
  return error
    .replace(/^initialState\b/, 'states.0')
    .replace(
      /^steps\.(\d+)(?:\.(op|model|impl|state|implState|text))?/,
      (_, i: string, part?: string) => {
        const state = `states.${Number(i) + 1}`;
        const name: Record<string, string> = {
          op: '.action',
          model: '.modelResult',
          impl: '.implResult',
          text: '["#meta"].text',
          implState: '.implState.value',
        };
        return part === undefined || part === 'state' ? state : `${state}${name[part] ?? ''}`;
      },
    )
    .replace(/^(?!states\b|\["#meta"\])/, '["#meta"].grantcheck.');
}

/** The grantcheck trace an ITF trace holds, as JSON for TraceSchema (src/trace/io.ts checks it
 * as it checks any trace); or the first problem, naming its path in the ITF file. */
export function itfToTraceJson(value: unknown): InputResult<unknown> {
  if (isRecord(value) && 'loop' in value) {
    return { ok: false, error: 'loop: a lasso trace is not a run of grantcheck' };
  }
  if (isRecord(value) && isRecord(value['#meta']) && !('grantcheck' in value['#meta'])) {
    return {
      ok: false,
      error:
        '["#meta"].grantcheck: missing: not an ITF trace written by grantcheck (it holds the config, fault, origin and verdict)',
    };
  }
  const parsed = validate(ItfTraceSchema, value);
  if (!parsed.ok) return parsed;
  const itf = parsed.value;
  const misplaced = itf.states.findIndex((s, i) => s.meta.index !== i);
  if (misplaced >= 0) {
    return {
      ok: false,
      error: `states.${misplaced}["#meta"].index: expected ${misplaced}, got ${itf.states[misplaced]?.meta.index}: states are in order`,
    };
  }
  const [initial, ...steps] = itf.states;
  // The states' parts are decoded; their ranges and pages' normal form are StateJsonSchema's.
  const checked = (
    state: unknown,
    where: string,
  ): InputResult<z.output<typeof StateJsonSchema>> => {
    const result = validate(StateJsonSchema, state);
    return result.ok
      ? result
      : { ok: false, error: `${where} (as a grantcheck state): ${result.error}` };
  };
  const decoded: z.output<typeof StateJsonSchema>[] = [];
  for (const [i, s] of [initial, ...steps].entries()) {
    const state = checked(s.state, `states.${i}`);
    if (!state.ok) return state;
    decoded.push(state.value);
  }
  const implStates: (z.output<typeof StateJsonSchema> | undefined)[] = [];
  for (const [i, s] of steps.entries()) {
    if (s.implState.tag === 'None') {
      implStates.push(undefined);
      continue;
    }
    const state = checked(s.implState.value, `states.${i + 1}.implState.value`);
    if (!state.ok) return state;
    implStates.push(state.value);
  }
  return {
    ok: true,
    value: {
      ...itf['#meta'].grantcheck,
      initialState: decoded[0],
      steps: steps.map((s, i) => ({
        op: s.action,
        text: s.meta.text,
        model: s.modelResult,
        impl: s.implResult,
        state: decoded[i + 1],
        ...(implStates[i] === undefined ? {} : { implState: implStates[i] }),
      })),
    },
  };
}
