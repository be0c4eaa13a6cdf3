// The shape of a checked system: how many domains, how much memory each has, and Xen's per-domain
// limits. Model and impl are both built from one GrantConfig; traces record it.

import { z } from 'zod';

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
    /** max_maptrack_frames: 256 handles per frame; one vCPU can hold 256*frames-1 mappings. */
    maxMaptrackFrames: z.number().int().min(1).max(16),
    /** Linear pages 0..hostVaPages-1 have an L1 page table; a host map elsewhere fails. */
    hostVaPages: z
      .number()
      .int()
      .min(1)
      .max(1 << 20),
  })
  .strict();

export type GrantConfig = z.infer<typeof GrantConfigSchema>;

export const DEFAULT_CONFIG: GrantConfig = {
  domains: 3,
  pagesPerDomain: 4,
  maxPagesSlack: 1,
  maxGrantFrames: 2,
  maxMaptrackFrames: 1,
  hostVaPages: 16,
};

/** Machine frame numbers start here, so that an MFN never equals a small gfn by accident. */
export const MFN_BASE = 0x100;

/** The MFN that backs domain `dom`'s gfn `gfn` at start. */
export function initialMfn(config: GrantConfig, dom: number, gfn: number): number {
  return MFN_BASE + dom * config.pagesPerDomain + gfn;
}

export function makeConfig(overrides: Partial<GrantConfig> = {}): GrantConfig {
  return GrantConfigSchema.parse({ ...DEFAULT_CONFIG, ...overrides });
}
