// The shape of a checked system: how many domains, how much memory each has, and Xen's per-domain
// limits. Model and impl are both built from one GrantConfig; traces record it.

import { z } from 'zod';
import { DEFAULT_CONFIG, GUEST_PROFILES } from './configDefaults.ts';

/** The most vCPUs a domain may have here (an interleaving runs at most four actors). */
export const MAX_VCPUS = 4;

/** The most maptrack frames a domain may have: Xen 4.17's default bound (opt_max_maptrack_frames
 * in xen/common/grant_table.c). */
export const MAX_MAPTRACK_FRAMES = 1024;

export const GrantConfigSchema = z
  .object({
    /** Domains 0..domains-1 exist; domain 0 is the privileged control domain. */
    domains: z.number().int().min(1).max(16),
    /** gfns 0..pagesPerDomain-1 are populated at start: tot_pages = pagesPerDomain. */
    pagesPerDomain: z.number().int().min(0).max(64),
    /** max_pages = pagesPerDomain + maxPagesSlack: how many pages a domain may receive. */
    maxPagesSlack: z.number().int().min(0).max(64),
    /** nr_grant_frames starts at 1 (INITIAL_NR_GRANT_FRAMES) and may grow to this. */
    maxGrantFrames: z.number().int().min(1).max(64),
    /** max_maptrack_frames: 256 handles per frame; one vCPU can hold 256*frames-1 mappings.
     * At most 1024, Xen 4.17's default (opt_max_maptrack_frames in xen/common/grant_table.c). */
    maxMaptrackFrames: z.number().int().min(1).max(MAX_MAPTRACK_FRAMES),
    /** vCPUs per domain (absent: 1). Each vCPU has its own maptrack free list, and a map names
     * the vCPU that makes it (grant_table.c get_maptrack_handle; docs/semantics.md §6). */
    vcpus: z.number().int().min(1).max(MAX_VCPUS).optional(),
    /** PV guests' frame numbers: a PV guest names machine frames (the "gfn" in its grant
     * entries and transfers is an MFN, and Xen's p2m for it is the identity over the frames it
     * owns: x86 gfn_to_mfn of a non-translated domain). Absent or false: each domain numbers its
     * own pages 0..pagesPerDomain-1 (a translated guest's p2m). */
    pv: z.boolean().optional(),
    /** Linear pages 0..hostVaPages-1 have an L1 page table; a host map elsewhere fails. */
    hostVaPages: z
      .number()
      .int()
      .min(1)
      .max(1 << 20),
    // --- Guest profiles (issue 14 §1; docs/semantics.md §18): absent = strict everywhere ---
    /** Each domain's guest library, by domain id (missing entries: 'strict'). */
    profiles: z.array(z.enum(GUEST_PROFILES)).max(16).readonly().optional(),
    /** Refs 0..guestRefs-1 are the table a non-strict library manages (0..7 reserved): a
     * scaled-down table, so that exhaustion is reachable (absent: DEFAULT_GUEST_REFS). */
    guestRefs: z.number().int().min(9).max(512).optional(),
    /** linux: free_per_iteration, the deferred reclaim budget of one tick (0 = unlimited;
     * absent: 10, Linux's default). */
    freePerIteration: z.number().int().min(0).max(1024).optional(),
    /** Profile ops run without the driver-contract check (docs/semantics.md §18.2): the raw
     * library, for pinning its results on calls no driver makes. */
    rawLibraryCalls: z.boolean().optional(),
  })
  .strict();

export type GrantConfig = z.infer<typeof GrantConfigSchema>;

export {
  DEFAULT_CONFIG,
  GUEST_PROFILES,
  initialMfn,
  MFN_BASE,
  profileOf,
  vcpusOf,
} from './configDefaults.ts';
export type { GuestProfile } from './configDefaults.ts';

export function makeConfig(overrides: Partial<GrantConfig> = {}): GrantConfig {
  return GrantConfigSchema.parse({ ...DEFAULT_CONFIG, ...overrides });
}
