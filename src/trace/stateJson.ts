// ModelState <-> plain JSON for traces: maps become arrays of [key, value] pairs sorted by key,
// sets become sorted arrays, so the same state always serialises to the same bytes.

import { IntMap } from '../model/intMap.ts';
import { z } from 'zod';
import { FreeList } from '../model/freeList.ts';
import type { BackendState, DomainState, GuestLibState, ModelState } from '../model/state.ts';
import type { PageContents } from '../model/contents.ts';
import { normalizeRuns, pageOf } from '../model/contents.ts';
import { MAX_MAPTRACK_FRAMES } from '../config.ts';
import { MAPTRACK_PER_PAGE, PAGE_SIZE } from '../xen/abi.ts';
import type { DeepReadonly } from './format.ts';

const int = z.number().int();
/** Keys (gfn, ref, mfn, va page) are unsigned C values; maptrack handles index an IntMap. */
const key = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
/** IntMap's key range (src/model/intMap.ts): a handle beyond it would throw when loaded. */
const handle = z
  .number()
  .int()
  .min(0)
  .max(2 ** 30 - 1);
/** A map as [key, value] pairs. */
export const pairs = <V extends z.ZodType>(value: V, k: z.ZodNumber = key) =>
  z.array(z.tuple([k, value]));

// The parts of a domain's state, shared with the subject wire protocol (src/subject/wire).
export const EntryJsonSchema = z.object({ flags: int, domid: int, frame: int }).strict();
export const ActiveJsonSchema = z
  .object({
    grantee: int,
    mfn: int,
    hostWritable: int,
    hostReadonly: int,
    deviceWritable: int,
    deviceReadonly: int,
  })
  .strict();
export const MaptrackJsonSchema = z
  .object({
    // Within the config's bounds (a subject's start state, a trace's states: the checks size
    // their work by them, so 2^39 handles would be an allocation, not a verdict).
    limit: z
      .number()
      .int()
      .min(0)
      .max(MAX_MAPTRACK_FRAMES * MAPTRACK_PER_PAGE),
    maxFrames: z.number().int().min(0).max(MAX_MAPTRACK_FRAMES),
    freeList: z.array(handle),
    /** vCPUs 1..'s free lists; absent with one vCPU. */
    otherFreeLists: z.array(z.array(handle)).optional(),
    mappings: pairs(
      z.object({ granter: int, ref: int, flags: int, vcpu: int.optional() }).strict(),
      handle,
    ),
  })
  .strict();
export const HostMappingJsonSchema = z.object({ mfn: int, writable: z.boolean() }).strict();

/** One page's contents: its runs [start, end, byte] in the model's normal form
 * (src/model/contents.ts): sorted, within the page, non-empty, non-zero, touching runs of one
 * value merged. */
export const PageJsonSchema = z
  .array(
    z.tuple([
      z.number().int().min(0).max(PAGE_SIZE),
      z.number().int().min(0).max(PAGE_SIZE),
      z.number().int().min(1).max(0xff),
    ]),
  )
  .min(1)
  .refine(
    (runs) => {
      const asRuns = runs.map(([start, end, byte]) => ({ start, end, byte }));
      const normal = normalizeRuns(asRuns);
      return (
        normal.length === runs.length &&
        asRuns.every((r, i) => r.start < r.end && (i === 0 || (asRuns[i - 1]?.end ?? 0) <= r.start))
      );
    },
    { error: 'runs must be sorted, non-empty, non-overlapping, with touching equal runs merged' },
  );

/** A guest library's state (issue 14; src/model/state.ts GuestLibState). */
const GuestJsonSchema = z.strictObject({
  profile: z.enum(['linux', 'mini-os', 'mirage']),
  size: int,
  budget: int,
  contract: z.boolean(),
  free: z.array(int),
  deferred: z.array(
    z.strictObject({ ref: int, gfn: int.optional(), warnDelay: int, idleTicks: int }),
  ),
  warnings: int,
  exports: pairs(int),
  granted: pairs(int),
  droppedPages: z.array(int),
});

/** A backend driver's requests (issue 14 §3; src/model/state.ts BackendState). */
const BackendJsonSchema = z.strictObject({
  requests: pairs(
    z.strictObject({
      frontend: int,
      readonly: z.boolean(),
      segments: z.array(z.strictObject({ ref: int, handle: int })),
    }),
  ),
});

const DomainJsonSchema = z
  .object({
    id: int,
    privileged: z.boolean(),
    pv: z.boolean().optional(), // written only when true (config.pv)
    death: z.enum(['zombie', 'gone']).optional(), // written only for a destroyed domain (§17)
    totPages: int,
    maxPages: int,
    p2m: pairs(int),
    grantTable: z
      .object({
        nrFrames: int,
        maxFrames: int,
        entries: pairs(EntryJsonSchema),
        active: pairs(ActiveJsonSchema),
      })
      .strict(),
    maptrack: MaptrackJsonSchema,
    hostVaPages: int,
    hostMappings: pairs(HostMappingJsonSchema),
    rawWritten: z.array(key),
    guest: GuestJsonSchema.optional(),
    backend: BackendJsonSchema.optional(),
  })
  .strict();

export const StateJsonSchema = z
  .object({
    domains: z.array(DomainJsonSchema),
    frameOwner: pairs(int),
    contents: pairs(PageJsonSchema),
  })
  .strict();

export type StateJson = z.infer<typeof StateJsonSchema>;

function sortedPairs<V>(m: ReadonlyMap<number, V>): [number, V][] {
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

function domainToJson(d: DomainState): StateJson['domains'][number] {
  return {
    id: d.id,
    privileged: d.privileged,
    ...(d.pv ? { pv: true } : {}),
    ...(d.death === undefined ? {} : { death: d.death }),
    totPages: d.totPages,
    maxPages: d.maxPages,
    p2m: sortedPairs(d.p2m),
    grantTable: {
      nrFrames: d.grantTable.nrFrames,
      maxFrames: d.grantTable.maxFrames,
      entries: sortedPairs(d.grantTable.entries).map(([k, e]) => [
        k,
        { flags: e.flags, domid: e.domid, frame: e.frame },
      ]),
      active: sortedPairs(d.grantTable.active).map(([k, a]) => [
        k,
        {
          grantee: a.grantee,
          mfn: a.mfn,
          hostWritable: a.hostWritable,
          hostReadonly: a.hostReadonly,
          deviceWritable: a.deviceWritable,
          deviceReadonly: a.deviceReadonly,
        },
      ]),
    },
    maptrack: {
      limit: d.maptrack.limit,
      maxFrames: d.maptrack.maxFrames,
      freeList: d.maptrack.freeList.toArray(),
      ...(d.maptrack.otherFreeLists === undefined
        ? {}
        : { otherFreeLists: d.maptrack.otherFreeLists.map((list) => list.toArray()) }),
      mappings: sortedPairs(d.maptrack.mappings).map(([k, m]) => [
        k,
        m.vcpu === undefined
          ? { granter: m.granter, ref: m.ref, flags: m.flags }
          : { granter: m.granter, ref: m.ref, flags: m.flags, vcpu: m.vcpu },
      ]),
    },
    hostVaPages: d.hostVaPages,
    hostMappings: sortedPairs(d.hostMappings).map(([k, h]) => [
      k,
      { mfn: h.mfn, writable: h.writable },
    ]),
    rawWritten: [...d.rawWritten].sort((a, b) => a - b),
    ...(d.guest === undefined ? {} : { guest: guestToJson(d.guest) }),
    ...(d.backend === undefined ? {} : { backend: backendToJson(d.backend) }),
  };
}

function guestToJson(g: GuestLibState): z.infer<typeof GuestJsonSchema> {
  return {
    profile: g.profile,
    size: g.size,
    budget: g.budget,
    contract: g.contract,
    free: [...g.free],
    deferred: g.deferred.map((d) => ({ ...d })),
    warnings: g.warnings,
    exports: sortedPairs(g.exports),
    granted: sortedPairs(g.granted),
    droppedPages: [...g.droppedPages].sort((a, b) => a - b),
  };
}

function guestFromJson(g: DeepReadonly<z.infer<typeof GuestJsonSchema>>): GuestLibState {
  return {
    profile: g.profile,
    size: g.size,
    budget: g.budget,
    contract: g.contract,
    free: [...g.free],
    deferred: g.deferred.map((d) => ({ ...d })),
    warnings: g.warnings,
    exports: new Map(g.exports),
    granted: new Map(g.granted),
    droppedPages: new Set(g.droppedPages),
  };
}

function backendToJson(b: BackendState): z.infer<typeof BackendJsonSchema> {
  return {
    requests: sortedPairs(b.requests).map(([id, r]) => [
      id,
      {
        frontend: r.frontend,
        readonly: r.readonly,
        segments: r.segments.map((s) => ({ ref: s.ref, handle: s.handle })),
      },
    ]),
  };
}

function backendFromJson(b: DeepReadonly<z.infer<typeof BackendJsonSchema>>): BackendState {
  return {
    requests: new Map(
      b.requests.map(([id, r]) => [
        id,
        {
          frontend: r.frontend,
          readonly: r.readonly,
          segments: r.segments.map((s) => ({ ref: s.ref, handle: s.handle })),
        },
      ]),
    ),
  };
}

export function pageToJson(page: PageContents): [number, number, number][] {
  return page.runs.map((r) => [r.start, r.end, r.byte]);
}

export function pageFromJson(
  runs: readonly (readonly [number, number, number])[],
): PageContents | undefined {
  return pageOf(runs.map(([start, end, byte]) => ({ start, end, byte })));
}

/** Pages as JSON pairs, by MFN. */
export function contentsToJson(
  contents: ReadonlyMap<number, PageContents>,
): [number, [number, number, number][]][] {
  return sortedPairs(contents).map(([mfn, page]) => [mfn, pageToJson(page)]);
}

export function contentsFromJson(
  pairs: readonly (readonly [number, readonly (readonly [number, number, number])[]])[],
): Map<number, PageContents> {
  const contents = new Map<number, PageContents>();
  for (const [mfn, runs] of pairs) {
    const page = pageFromJson(runs);
    if (page !== undefined) contents.set(mfn, page);
  }
  return contents;
}

export function stateToJson(state: ModelState): StateJson {
  return {
    domains: state.domains.map(domainToJson),
    frameOwner: sortedPairs(state.frameOwner),
    contents: contentsToJson(state.contents),
  };
}

/** Accepts a trace's read-only state as well as a fresh one. */
export function stateFromJson(json: DeepReadonly<StateJson>): ModelState {
  return {
    domains: json.domains.map((d) => ({
      id: d.id,
      privileged: d.privileged,
      pv: d.pv ?? false,
      totPages: d.totPages,
      maxPages: d.maxPages,
      p2m: new Map(d.p2m),
      grantTable: {
        nrFrames: d.grantTable.nrFrames,
        maxFrames: d.grantTable.maxFrames,
        entries: new Map(d.grantTable.entries),
        active: new Map(d.grantTable.active),
      },
      maptrack: {
        limit: d.maptrack.limit,
        maxFrames: d.maptrack.maxFrames,
        freeList: FreeList.of(d.maptrack.freeList),
        ...(d.maptrack.otherFreeLists === undefined
          ? {}
          : { otherFreeLists: d.maptrack.otherFreeLists.map((list) => FreeList.of(list)) }),
        mappings: IntMap.from(d.maptrack.mappings),
      },
      hostVaPages: d.hostVaPages,
      hostMappings: new Map(d.hostMappings),
      rawWritten: new Set(d.rawWritten),
      death: d.death,
      guest: d.guest === undefined ? undefined : guestFromJson(d.guest),
      backend: d.backend === undefined ? undefined : backendFromJson(d.backend),
    })),
    frameOwner: new Map(json.frameOwner),
    contents: contentsFromJson(json.contents),
    flow: undefined,
  };
}
