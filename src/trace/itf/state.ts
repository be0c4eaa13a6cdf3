// A grantcheck state (src/trace/stateJson.ts) as ITF variables and back: one variable per part of
// the state, each a `#map` from domain id (or MFN) to that domain's part, so that a reader sees
// "the grant entries" or "the page owners" as one value. docs/trace-format.md, "ITF", has the
// table.

import { z } from 'zod';
import type { DeepReadonly } from '../format.ts';
import type { StateJson } from '../stateJson.ts';
import type { ItfValue } from './values.ts';
import {
  itfInt,
  itfIntMap,
  itfMapSchema,
  ItfIntSchema,
  itfSet,
  itfSetSchema,
  itfTup,
  itfTupSchema,
  ItfJsonSchema,
  ItfUnitSchema,
  itfVariant,
  itfVariantSchema,
  jsonToItf,
} from './values.ts';

/** The state's variables, in the order they are written. */
export const STATE_VARS = [
  'domain',
  'p2m',
  'grantEntries',
  'activeGrants',
  'maptrack',
  'maptrackFreeLists',
  'hostMappings',
  'rawWritten',
  'guestLibrary',
  'backendDriver',
  'frameOwner',
  'contents',
] as const;

export type StateVar = (typeof STATE_VARS)[number];

type Domain = DeepReadonly<StateJson['domains'][number]>;

/** The variables of one state. */
export function stateToItf(state: DeepReadonly<StateJson>): Record<StateVar, ItfValue> {
  const perDomain = (part: (d: Domain) => ItfValue): ItfValue =>
    itfIntMap(
      state.domains.map((d) => [d.id, d] as const),
      part,
    );
  return {
    domain: perDomain((d) => ({
      privileged: d.privileged,
      pv: d.pv === true,
      // Domain death (docs/semantics.md §17): 'alive' where the trace writes nothing.
      death: d.death ?? 'alive',
      totPages: itfInt(d.totPages),
      maxPages: itfInt(d.maxPages),
      hostVaPages: itfInt(d.hostVaPages),
      nrFrames: itfInt(d.grantTable.nrFrames),
      maxFrames: itfInt(d.grantTable.maxFrames),
      maptrackLimit: itfInt(d.maptrack.limit),
      maptrackMaxFrames: itfInt(d.maptrack.maxFrames),
    })),
    p2m: perDomain((d) => itfIntMap(d.p2m, itfInt)),
    grantEntries: perDomain((d) => itfIntMap(d.grantTable.entries, jsonToItf)),
    activeGrants: perDomain((d) => itfIntMap(d.grantTable.active, jsonToItf)),
    maptrack: perDomain((d) => itfIntMap(d.maptrack.mappings, jsonToItf)),
    // A list per vCPU, vCPU 0's first: the order of each free list is Xen's handle order.
    maptrackFreeLists: perDomain((d) =>
      [d.maptrack.freeList, ...(d.maptrack.otherFreeLists ?? [])].map((list) => list.map(itfInt)),
    ),
    hostMappings: perDomain((d) => itfIntMap(d.hostMappings, jsonToItf)),
    rawWritten: perDomain((d) => itfSet(d.rawWritten.map(itfInt))),
    // A real guest library's state (docs/semantics.md §18), an option: None for strict.
    guestLibrary: perDomain((d) =>
      d.guest === undefined ? itfVariant('None') : itfVariant('Some', jsonToItf(d.guest)),
    ),
    // A backend driver's requests (docs/semantics.md §19), an option: None for a domain that
    // never acted as a backend.
    backendDriver: perDomain((d) =>
      d.backend === undefined ? itfVariant('None') : itfVariant('Some', jsonToItf(d.backend)),
    ),
    frameOwner: itfIntMap(state.frameOwner, itfInt),
    contents: itfIntMap(state.contents, (runs) => runs.map((run) => itfTup(run.map(itfInt)))),
  };
}

// ---- reading ----

const I = ItfIntSchema;
const byDomain = <V extends z.ZodType>(value: V) => itfMapSchema(I, value);

/** Each variable's schema; the transform below joins them into domains. */
export const STATE_VAR_SHAPE = {
  domain: byDomain(
    z.strictObject({
      privileged: z.boolean(),
      pv: z.boolean(),
      death: z.enum(['alive', 'zombie', 'gone']),
      totPages: I,
      maxPages: I,
      hostVaPages: I,
      nrFrames: I,
      maxFrames: I,
      maptrackLimit: I,
      maptrackMaxFrames: I,
    }),
  ),
  p2m: byDomain(itfMapSchema(I, I)),
  grantEntries: byDomain(itfMapSchema(I, z.strictObject({ flags: I, domid: I, frame: I }))),
  activeGrants: byDomain(
    itfMapSchema(
      I,
      z.strictObject({
        grantee: I,
        mfn: I,
        hostWritable: I,
        hostReadonly: I,
        deviceWritable: I,
        deviceReadonly: I,
      }),
    ),
  ),
  maptrack: byDomain(
    itfMapSchema(I, z.strictObject({ granter: I, ref: I, flags: I, vcpu: I.optional() })),
  ),
  maptrackFreeLists: byDomain(z.array(z.array(I)).min(1)),
  hostMappings: byDomain(itfMapSchema(I, z.strictObject({ mfn: I, writable: z.boolean() }))),
  rawWritten: byDomain(itfSetSchema(I)),
  // The library state's own shape is checked by the StateJson schema after the join.
  guestLibrary: byDomain(
    z.union([itfVariantSchema('None', ItfUnitSchema), itfVariantSchema('Some', ItfJsonSchema)]),
  ),
  backendDriver: byDomain(
    z.union([itfVariantSchema('None', ItfUnitSchema), itfVariantSchema('Some', ItfJsonSchema)]),
  ),
  frameOwner: itfMapSchema(I, I),
  contents: itfMapSchema(I, z.array(itfTupSchema(I, I, I))),
} as const;

type Decoded = { [K in StateVar]: z.output<(typeof STATE_VAR_SHAPE)[K]> };

/** The first repeated key of a map's pairs, or undefined. */
function repeatedKey(pairs: readonly (readonly [number, unknown])[]): number | undefined {
  const seen = new Set<number>();
  for (const [k] of pairs) {
    if (seen.has(k)) return k;
    seen.add(k);
  }
  return undefined;
}

/** Join the per-domain variables into a StateJson, refusing a map with a repeated key or a
 * per-domain variable whose domains are not those of `domain`. The StateJson schema checks the
 * rest (key ranges, pages' normal form). */
export function stateFromItf(v: Decoded, ctx: z.core.$RefinementCtx<unknown>): StateJson {
  const fail = (path: PropertyKey[], message: string): StateJson => {
    ctx.addIssue({ code: 'custom', message, path });
    return z.NEVER;
  };
  const ids = v.domain.map(([id]) => id);
  for (const name of STATE_VARS) {
    const pairs = v[name];
    const twice = repeatedKey(pairs);
    if (twice !== undefined) return fail([name], `key ${twice} appears twice in the #map`);
    if (name === 'frameOwner' || name === 'contents' || name === 'domain') continue;
    const keys = pairs.map(([k]) => k);
    if (keys.length !== ids.length || keys.some((k, i) => k !== ids[i])) {
      return fail(
        [name],
        `its domains (${keys.join(', ')}) are not those of domain (${ids.join(', ')}), in that order`,
      );
    }
  }
  const at = <T>(pairs: readonly (readonly [number, T])[], i: number): T => {
    const pair = pairs[i];
    if (pair === undefined) throw new Error('ITF: domains checked above');
    return pair[1];
  };
  const domains = v.domain.map(([id, d], i): StateJson['domains'][number] => {
    const [freeList = [], ...others] = at(v.maptrackFreeLists, i);
    return {
      id,
      privileged: d.privileged,
      ...(d.pv ? { pv: true } : {}),
      ...(d.death === 'alive' ? {} : { death: d.death }),
      totPages: d.totPages,
      maxPages: d.maxPages,
      p2m: at(v.p2m, i),
      grantTable: {
        nrFrames: d.nrFrames,
        maxFrames: d.maxFrames,
        entries: at(v.grantEntries, i),
        active: at(v.activeGrants, i),
      },
      maptrack: {
        limit: d.maptrackLimit,
        maxFrames: d.maptrackMaxFrames,
        freeList,
        ...(others.length === 0 ? {} : { otherFreeLists: others }),
        mappings: at(v.maptrack, i).map(([h, m]) => [
          h,
          m.vcpu === undefined
            ? { granter: m.granter, ref: m.ref, flags: m.flags }
            : { granter: m.granter, ref: m.ref, flags: m.flags, vcpu: m.vcpu },
        ]),
      },
      hostVaPages: d.hostVaPages,
      hostMappings: at(v.hostMappings, i),
      // A set has no order: the trace's is ascending.
      rawWritten: [...new Set(at(v.rawWritten, i))].sort((a, b) => a - b),
      ...guestOf(at(v.guestLibrary, i)),
      ...backendOf(at(v.backendDriver, i)),
    };
  });
  return { domains, frameOwner: v.frameOwner, contents: v.contents };
}

/** The trace's `guest` field from the guestLibrary option (checked by the StateJson schema). */
function guestOf(option: { readonly tag: 'None' | 'Some'; readonly value: unknown }): {
  guest?: StateJson['domains'][number]['guest'];
} {
  return option.tag === 'None'
    ? {}
    : { guest: option.value as StateJson['domains'][number]['guest'] };
}

/** The trace's `backend` field from the backendDriver option (checked by the StateJson schema). */
function backendOf(option: { readonly tag: 'None' | 'Some'; readonly value: unknown }): {
  backend?: StateJson['domains'][number]['backend'];
} {
  return option.tag === 'None'
    ? {}
    : { backend: option.value as StateJson['domains'][number]['backend'] };
}
