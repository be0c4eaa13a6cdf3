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
