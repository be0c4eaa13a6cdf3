// The parts of config.ts that need no validation: the default configuration and the initial
// machine-frame layout. Why a module of their own? Start-up: the model, the impl and `grantcheck
// run` use these alone, and config.ts loads zod for its schema (re-exported there).

import type { GrantConfig } from './config.ts';

export const DEFAULT_CONFIG: GrantConfig = {
  domains: 3,
  pagesPerDomain: 4,
  maxPagesSlack: 1,
  maxGrantFrames: 2,
  maxMaptrackFrames: 1,
  hostVaPages: 16,
};

/** config.vcpus, defaulted: each domain's vCPU count. */
export function vcpusOf(config: GrantConfig): number {
  return config.vcpus ?? 1;
}

// --- Guest profiles (issue 14 §1; docs/semantics.md §18) --------------------------------------

/** The guest libraries a domain may run: strict is grantcheck's own idealised library. */
export const GUEST_PROFILES = ['strict', 'linux', 'mini-os', 'mirage'] as const;
export type GuestProfile = (typeof GUEST_PROFILES)[number];

/** config.guestRefs, defaulted: 12 refs, of which 8..11 are allocatable (the refs the random
 * runs focus on, so that Mini-OS's top-first order meets them too). */
export const DEFAULT_GUEST_REFS = 12;
/** config.freePerIteration, defaulted: Linux's free_per_iteration module parameter. */
export const DEFAULT_FREE_PER_ITERATION = 10;

/** Domain `dom`'s guest profile (config.profiles, defaulted to strict). */
export function profileOf(config: GrantConfig, dom: number): GuestProfile {
  return config.profiles?.[dom] ?? 'strict';
}

/** Machine frame numbers start here, so that an MFN never equals a small gfn by accident. */
export const MFN_BASE = 0x100;

/** The number domain `dom` names its `index`-th initial page by: its MFN for a PV guest,
 * otherwise `index` (config.pv). */
export function initialGfn(config: GrantConfig, dom: number, index: number): number {
  return config.pv === true ? initialMfn(config, dom, index) : index;
}

/** The MFN that backs domain `dom`'s gfn `gfn` at start. */
export function initialMfn(config: GrantConfig, dom: number, gfn: number): number {
  return MFN_BASE + dom * config.pagesPerDomain + gfn;
}

// --- The host window's L1 page tables (GNTMAP_contains_pte; docs/semantics.md §11.1) ----------
// A PV domain's host window (linear pages 0..hostVaPages-1) is covered by L1 page-table frames
// of its own, L1_PAGETABLE_ENTRIES slots each. They are fixed, outside the data frames: they
// are not in any p2m, and no op creates, frees or moves them. Domain `dom`'s i-th L1 frame is
// L1_MFN_BASE + dom * L1_MFN_STRIDE + i, so the PTE of d0's linear page 3 is at machine address
// 0x10000018 and d1's at 0x11000018.

/** The first L1 frame's MFN: far above every data frame (MFN_BASE + 16 * 64 + slack). */
export const L1_MFN_BASE = 0x10000;
/** MFNs reserved per domain: enough for the largest window (2^20 pages / 512 slots). */
export const L1_MFN_STRIDE = 0x1000;
/** L1_PAGETABLE_ENTRIES (x86-64): linear pages one L1 frame maps. */
export const L1_PAGETABLE_ENTRIES = 512;
/** sizeof(l1_pgentry_t): a PTE's machine address is a multiple of it. */
export const L1_PTE_SIZE = 8;

/** The MFN of domain `dom`'s L1 frame for linear pages index*512 .. index*512+511. */
export function l1TableMfn(dom: number, index: number): number {
  return L1_MFN_BASE + dom * L1_MFN_STRIDE + index;
}

/** How many L1 frames cover a window of `hostVaPages` pages. */
export function l1TableCount(hostVaPages: number): number {
  return Math.ceil(hostVaPages / L1_PAGETABLE_ENTRIES);
}

/** The machine address of the PTE that maps domain `dom`'s linear page `page`: what a
 * GNTMAP_contains_pte map or unmap names instead of the linear address page << 12. */
export function pteAddress(dom: number, page: number): number {
  const index = Math.floor(page / L1_PAGETABLE_ENTRIES);
  const slot = page % L1_PAGETABLE_ENTRIES;
  return l1TableMfn(dom, index) * 2 ** 12 + slot * L1_PTE_SIZE;
}
