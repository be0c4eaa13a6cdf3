// The bounds of an exhaustive Xen-level search: how many domains, grant refs and pages, how many
// live mappings per grant, how long a batch, which action alphabet (every op kind, or
// protocol-following guests), the op families added to it, and the named presets.

import type { GrantConfig } from '../config.ts';
import { GrantConfigSchema } from '../config.ts';
import type { OpKind } from '../ops/op.ts';

/**
 * - `full`: every op kind but raw_write, with boundary values chosen so that the failing
 *   statuses occur (bad domain, bad ref, bad address, bad handle, self-grants, transfers into
 *   entries that were never offered, ...). Conformance explores this one.
 * - `protocol`: what a protocol-following guest library issues (docs/explore.md, "Refinement"):
 *   the alphabet under which every Xen step is one core step or none.
 */
export type XenAlphabet = 'full' | 'protocol';

/**
 * Op families the full alphabet leaves out, each added on request (a fault's search declares the
 * ones its bug needs, src/faults/fault.ts):
 * - `hostile_writes`: raw_write of each bounded ref with a bit only Xen may set (GTF_writing on
 *   an access entry, GTF_transfer_committed on a transfer entry), naming the other domain;
 * - `split_unmaps`: one unmap batch naming a host+device handle twice, its host part, then its
 *   device part (the two phases of gnttab_unmap_grant_ref run element by element);
 * - `copies`: one-element copies between the caller's own page, another domain's grant and
 *   another domain's page named by its numeric domid, of length 0, 1, and 2 from offset 4095;
 *   and the two-element batches that reuse the copy's cached domain pair (a grant of X, then a
 *   page under X's numeric domid);
 * - `map_bursts`: one map batch of GNTPIN_COUNTER_LIMIT (128) equal elements of each kind, when
 *   the caller holds no mapping of that kind of the grant yet;
 * - `overflow_maps`: every one-element map of the alphabet that a full pin counter refuses (a
 *   counter it increments is at GNTPIN_COUNTER_LIMIT: map_grant_ref's GNTPIN_incr2oflow_mask
 *   test), whatever maxPin. Only a burst fills a counter, so this adds nothing without one;
 * - `deaths`: the control domain destroys each other domain (destroy_domain, docs/semantics.md
 *   §17). Not in any default alphabet, so the pinned state counts stay as they were.
 */
export type XenExtension =
  'hostile_writes' | 'split_unmaps' | 'copies' | 'map_bursts' | 'overflow_maps' | 'deaths';

export const XEN_EXTENSIONS: readonly XenExtension[] = [
  'hostile_writes',
  'split_unmaps',
  'copies',
  'map_bursts',
  'overflow_maps',
  'deaths',
];

/** The extensions that the protocol alphabet takes too: many equal maps are what a guest may
 * issue (a gntdev mapping of many pages of one grant); the others are not protocol. */
export const PROTOCOL_EXTENSIONS: readonly XenExtension[] = [
  'map_bursts',
  'overflow_maps',
  'deaths',
];

/** The longest batch `batch` may ask for. */
export const MAX_XEN_BATCH = 4;

export interface XenBounds {
  readonly domains: number;
  /** Grant refs 8..8+refs-1 of every domain (refs 0..7 are reserved for the toolstack). */
  readonly refs: number;
  /** Pages per domain: gfns 0..pages-1 are populated; gfn `pages` is the transfer slot. */
  readonly pages: number;
  /** Live mappings per (mapper, grant, read-only or writable): no map beyond this is issued. */
  readonly maxPin: number;
  readonly alphabet: XenAlphabet;
  /**
   * The longest map and unmap batch (absent: 1, one-element batches only; more needs the full
   * alphabet). Batch length k in 2..batch adds: each one-element map of the alphabet repeated k
   * times, issued while the caller would hold at most maxPin mappings of that grant and kind
   * after it; and, per caller, each run of k consecutive live handles (ascending), unmapped
   * whole (each element by the address it was mapped at and its page's device address).
   */
  readonly batch?: number;
}

/** What a search adds to its bounds (xenModel's options; a fault's search declares them). */
export interface XenExtras {
  /** Op families beyond the full alphabet (none unless given). */
  readonly extensions?: readonly XenExtension[];
  /** max_pages - pages per domain; by default every page there is, so that no transfer fails
   * for want of room (0: every domain starts at its limit). */
  readonly maxPagesSlack?: number;
}

export const DEFAULT_XEN_BOUNDS: XenBounds = {
  domains: 2,
  refs: 1,
  pages: 1,
  maxPin: 1,
  alphabet: 'full',
};

/** The first grant ref a guest may use (refs below are reserved, GNTTAB_NR_RESERVED_ENTRIES). */
export const FIRST_REF = 8;
/** The one valid host address (linear page 1) and one beyond the L1 tables (page 2). */
export const HOST_ADDR = 0x1000;
export const BAD_HOST_ADDR = 0x2000;

/** Everything wrong with `b`, as sentences; empty when the model can be built. */
export function xenBoundsProblems(b: XenBounds): string[] {
  const problems: string[] = [];
  const small = (name: 'domains' | 'refs' | 'pages' | 'maxPin', min: number, max: number) => {
    const v = b[name];
    if (!Number.isInteger(v) || v < min || v > max) {
      problems.push(`${name} must be an integer in ${min}..${max}, got ${String(v)}`);
    }
  };
  small('domains', 1, 4);
  small('refs', 1, 4);
  small('pages', 1, 4);
  small('maxPin', 0, 3);
  if (b.alphabet !== 'full' && b.alphabet !== 'protocol') {
    problems.push(`alphabet must be full or protocol, got ${String(b.alphabet)}`);
  }
  const batch = b.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_XEN_BATCH) {
    problems.push(`batch must be an integer in 1..${MAX_XEN_BATCH}, got ${String(batch)}`);
  } else if (batch > 1 && b.alphabet !== 'full') {
    // Why? A batch of k maps is k core steps in one transition: no refinement check holds.
    problems.push('batches longer than 1 need the full alphabet');
  }
  return problems;
}

/** Everything wrong with `x` for bounds `b`, as sentences; empty when the model can be built. */
export function xenExtrasProblems(b: XenBounds, x: XenExtras): string[] {
  const problems: string[] = [];
  for (const e of x.extensions ?? []) {
    if (!XEN_EXTENSIONS.includes(e)) problems.push(`no extension ${String(e)}`);
  }
  // Bursts are maps a protocol guest may issue too; the other families are not protocol.
  const nonProtocol = (x.extensions ?? []).filter((e) => !PROTOCOL_EXTENSIONS.includes(e));
  if (nonProtocol.length > 0 && b.alphabet !== 'full') {
    problems.push(
      `extensions need the full alphabet (${nonProtocol.join(', ')}; ` +
        `${PROTOCOL_EXTENSIONS.slice(0, -1).join(', ')} and ${PROTOCOL_EXTENSIONS.at(-1) ?? ''} do not)`,
    );
  }
  const slack = x.maxPagesSlack;
  if (slack !== undefined && (!Number.isInteger(slack) || slack < 0 || slack > 16)) {
    problems.push(`maxPagesSlack must be an integer in 0..16, got ${String(slack)}`);
  }
  return problems;
}

/**
 * The GrantConfig a search runs on. Why these values? max_pages is at least every page there is
 * (the core model has no memory limit, so a transfer can never fail for want of room); one grant
 * frame and one maptrack frame (setup_table cannot grow the table; 255 handles is plenty); two
 * linear pages with L1 tables, so that HOST_ADDR maps and BAD_HOST_ADDR fails.
 */
export function grantConfigFor(b: XenBounds, x: XenExtras = {}): GrantConfig {
  return GrantConfigSchema.parse({
    domains: b.domains,
    pagesPerDomain: b.pages,
    maxPagesSlack: x.maxPagesSlack ?? (b.domains - 1) * b.pages,
    maxGrantFrames: 1,
    maxMaptrackFrames: 1,
    hostVaPages: 2,
  });
}

/** `xen(D=2,R=1,P=1,MAXPIN=1,full)`, with `BATCH=n`, `+EXTENSION` and `SLACK=n` when given:
 * names the model in reports and trace origins. */
export function xenModelName(b: XenBounds, x: XenExtras = {}): string {
  const batch = b.batch === undefined || b.batch === 1 ? '' : `,BATCH=${b.batch}`;
  const extra = [
    ...(x.extensions ?? []).map((e) => `+${e}`),
    ...(x.maxPagesSlack === undefined ? [] : [`SLACK=${x.maxPagesSlack}`]),
  ];
  return `xen(D=${b.domains},R=${b.refs},P=${b.pages},MAXPIN=${b.maxPin}${batch},${[b.alphabet, ...extra].join(',')})`;
}

/** A named set of bounds: what `grantcheck explore --preset NAME` starts from (flags given
 * beside it override its values). */
export interface XenPreset {
  readonly bounds: XenBounds;
  readonly extras: XenExtras;
  /** The full alphabet cut to these op kinds, as a fault's search cuts it. */
  readonly kinds: readonly OpKind[];
  /** GNTMAP_contains_pte maps in the alphabet; by default yes, as a cut by kinds keeps them. */
  readonly pteMaps?: boolean;
  /** One line: what the preset reaches. */
  readonly summary: string;
}

export type XenPresetName = 'corners' | 'basic';

/** The full alphabet's op kinds but swap_grant_ref and unmap_and_replace (the `basic` preset). */
const BASIC_KINDS: readonly OpKind[] = [
  'grant_access',
  'end_access',
  'grant_transfer',
  'end_transfer',
  'map_grant_ref',
  'unmap_grant_ref',
  'transfer',
  'setup_table',
  'query_size',
];

/**
 * - `corners`: the limits the default bounds never reach, each by design and exactly (no count
 *   is abstracted): a pin overflow refusal (a burst fills a counter to 128; an overflow map is
 *   refused with general_error), maptrack exhaustion (two bursts by one vCPU: 128 + 127 handles,
 *   then no_space: one maptrack frame holds 255 handles for it) and a max_pages refusal (every
 *   domain at its limit: a transfer into an offered entry is refused with general_error).
 *   Why so cut? A state holding 255 mappings costs about a millisecond to step and key; maxPin 0
 *   leaves mappings to the bursts (no single maps beside them), and without unmaps and
 *   end_access no chain of 128 pin counts per kind opens. Measured in docs/explore.md.
 */
export const XEN_PRESETS: Readonly<Record<XenPresetName, XenPreset>> = {
  corners: {
    bounds: { domains: 2, refs: 1, pages: 1, maxPin: 0, alphabet: 'protocol' },
    extras: { extensions: ['map_bursts', 'overflow_maps'], maxPagesSlack: 0 },
    kinds: ['grant_access', 'map_grant_ref', 'grant_transfer', 'transfer'],
    summary: 'pin overflow, maptrack exhaustion and max_pages refusals, by bursts and slack 0',
  },
  basic: {
    bounds: DEFAULT_XEN_BOUNDS,
    extras: {},
    kinds: BASIC_KINDS,
    pteMaps: false,
    summary:
      'the full alphabet without swap_grant_ref and the PV PTE surface (contains_pte maps, unmap_and_replace)',
  },
};
