// The state before any op: every domain with its populated gfns, a one-frame grant table of
// zero entries, no maptrack frames yet, no mappings. docs/semantics.md §2.

import type { GrantConfig } from '../config.ts';
import { initialGfn, initialMfn, vcpusOf } from '../configDefaults.ts';
import type { DomId, Gfn, Mfn } from '../ops/op.ts';
import { INITIAL_NR_GRANT_FRAMES } from '../xen/abi.ts';
import { emptyMaptrack } from './maptrack.ts';
import { initialGuest } from './profiles/library.ts';
import type { DomainState, ModelState } from './state.ts';

export function initialState(config: GrantConfig): ModelState {
  const domains: DomainState[] = [];
  const frameOwner = new Map<Mfn, DomId>();
  for (let id = 0; id < config.domains; id++) {
    const p2m = new Map<Gfn, Mfn>();
    for (let page = 0; page < config.pagesPerDomain; page++) {
      const mfn = initialMfn(config, id, page);
      p2m.set(initialGfn(config, id, page), mfn);
      frameOwner.set(mfn, id);
    }
    domains.push({
      id,
      privileged: id === 0, // the control domain
      pv: config.pv === true,
      totPages: config.pagesPerDomain,
      maxPages: config.pagesPerDomain + config.maxPagesSlack,
      p2m,
      grantTable: {
        nrFrames: INITIAL_NR_GRANT_FRAMES,
        maxFrames: config.maxGrantFrames,
        entries: new Map(),
        active: new Map(),
      },
      maptrack: emptyMaptrack(config.maxMaptrackFrames, vcpusOf(config)),
      hostVaPages: config.hostVaPages,
      hostMappings: new Map(),
      rawWritten: new Set(),
      death: undefined,
      // a non-strict domain's library state (undefined for strict: its key and trace stay as
      // they were)
      guest: initialGuest(config, id),
      backend: undefined,
    });
  }
  return { domains, frameOwner, contents: new Map(), flow: undefined };
}
