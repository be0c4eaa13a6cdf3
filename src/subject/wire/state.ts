// A subject's state on the wire: per domain, only the parts it declared (StatePart), in the same
// JSON shapes as a trace's states (src/trace/stateJson.ts).

import { z } from 'zod';
import type { GrantConfig } from '../../config.ts';
import { FreeList } from '../../model/freeList.ts';
import { IntMap } from '../../model/intMap.ts';
import type { DomainState, ModelState } from '../../model/state.ts';
import {
  ActiveJsonSchema,
  EntryJsonSchema,
  HostMappingJsonSchema,
  contentsFromJson,
  MaptrackJsonSchema,
  PageJsonSchema,
  pairs,
  stateToJson,
} from '../../trace/stateJson.ts';
import type { StatePart } from '../subject.ts';

const int = z.number().int();

const WireDomainSchema = z.strictObject({
  entries: pairs(EntryJsonSchema).optional(),
  active: pairs(ActiveJsonSchema).optional(),
  grantFrames: z.strictObject({ nrFrames: int, maxFrames: int }).optional(),
  maptrack: MaptrackJsonSchema.optional(),
  p2m: pairs(int).optional(),
  hostMappings: pairs(HostMappingJsonSchema).optional(),
  totPages: z.strictObject({ totPages: int, maxPages: int }).optional(),
});

export const WireStateSchema = z.strictObject({
  domains: z.array(WireDomainSchema),
  frames: pairs(int).optional(),
  contents: pairs(PageJsonSchema).optional(),
});

export type WireState = z.infer<typeof WireStateSchema>;

/** The declared parts of `state`, for a subject to send. */
export function wireStateOf(state: ModelState, parts: readonly StatePart[]): WireState {
  const json = stateToJson(state);
  const has = new Set(parts);
  return {
    domains: json.domains.map((d) => ({
      ...(has.has('entries') ? { entries: d.grantTable.entries } : {}),
      ...(has.has('active') ? { active: d.grantTable.active } : {}),
      ...(has.has('grantFrames')
        ? { grantFrames: { nrFrames: d.grantTable.nrFrames, maxFrames: d.grantTable.maxFrames } }
        : {}),
      ...(has.has('maptrack') ? { maptrack: d.maptrack } : {}),
      ...(has.has('p2m') ? { p2m: d.p2m } : {}),
      ...(has.has('hostMappings') ? { hostMappings: d.hostMappings } : {}),
      ...(has.has('totPages') ? { totPages: { totPages: d.totPages, maxPages: d.maxPages } } : {}),
    })),
    ...(has.has('frames') ? { frames: json.frameOwner } : {}),
    ...(has.has('contents') ? { contents: json.contents } : {}),
  };
}

const DOMAIN_PARTS = [
  'entries',
  'active',
  'grantFrames',
  'maptrack',
  'p2m',
  'hostMappings',
  'totPages',
] as const satisfies readonly StatePart[];

/** The parts a state carries (in any of its domains). */
export function wireStateParts(state: WireState): StatePart[] {
  const parts: StatePart[] = DOMAIN_PARTS.filter((p) => state.domains.some((d) => p in d));
  if ('frames' in state) parts.push('frames');
  if ('contents' in state) parts.push('contents');
  return parts;
}

/** Which declared part is missing from `state`, or which undeclared one it carries, if any:
 * one line naming the field. A start state (`ready`, `extraAllowed`) may carry more than the
 * declared parts: what the subject knows only at its start. */
export function wireStateProblem(
  state: WireState,
  parts: readonly StatePart[],
  config: GrantConfig,
  extraAllowed = false,
): string | null {
  if (state.domains.length !== config.domains) {
    return `state.domains: ${state.domains.length} domains, the config has ${config.domains}`;
  }
  const has = new Set<string>(parts);
  const problem = (field: string, sent: boolean, declared: boolean): string | null => {
    if (declared && !sent) return `${field}: declared in the hello but missing`;
    if (sent && !declared && !extraAllowed) return `${field}: sent but not declared in the hello`;
    return null;
  };
  for (const [i, d] of state.domains.entries()) {
    for (const part of DOMAIN_PARTS) {
      const found = problem(`state.domains.${i}.${part}`, part in d, has.has(part));
      if (found) return found;
    }
  }
  return (
    problem('state.frames', 'frames' in state, has.has('frames')) ??
    problem('state.contents', 'contents' in state, has.has('contents'))
  );
}

function emptyDomain(id: number): DomainState {
  return {
    id,
    privileged: id === 0,
    pv: false,
    totPages: 0,
    maxPages: 0,
    p2m: new Map(),
    grantTable: { nrFrames: 0, maxFrames: 0, entries: new Map(), active: new Map() },
    maptrack: { limit: 0, maxFrames: 0, freeList: FreeList.of([]), mappings: IntMap.from([]) },
    hostVaPages: 0,
    hostMappings: new Map(),
    rawWritten: new Set(),
    death: undefined,
    guest: undefined,
    backend: undefined,
  };
}

/** A ModelState holding the sent parts; the others are empty (the Checker reads only the
 * declared parts: src/subject/observe.ts). */
export function stateFromWire(state: WireState): ModelState {
  return {
    domains: state.domains.map((d, id): DomainState => {
      const base = emptyDomain(id);
      return {
        ...base,
        grantTable: {
          entries: d.entries ? new Map(d.entries) : base.grantTable.entries,
          active: d.active ? new Map(d.active) : base.grantTable.active,
          nrFrames: d.grantFrames?.nrFrames ?? 0,
          maxFrames: d.grantFrames?.maxFrames ?? 0,
        },
        maptrack: d.maptrack
          ? {
              limit: d.maptrack.limit,
              maxFrames: d.maptrack.maxFrames,
              freeList: FreeList.of(d.maptrack.freeList),
              ...(d.maptrack.otherFreeLists === undefined
                ? {}
                : { otherFreeLists: d.maptrack.otherFreeLists.map((list) => FreeList.of(list)) }),
              mappings: IntMap.from(d.maptrack.mappings),
            }
          : base.maptrack,
        p2m: d.p2m ? new Map(d.p2m) : base.p2m,
        hostMappings: d.hostMappings ? new Map(d.hostMappings) : base.hostMappings,
        totPages: d.totPages?.totPages ?? 0,
        maxPages: d.totPages?.maxPages ?? 0,
      };
    }),
    frameOwner: new Map(state.frames ?? []),
    contents: contentsFromJson(state.contents ?? []),
    flow: undefined,
  };
}
