// Which part of a Xen-level state an op reads and changes: its footprint, for the explorer's
// step memo (./stepMemo.ts). Declared per op kind from the model's ops (src/model/ops), and
// checked by test/unit/xenExplore/footprint.test.ts: changing any domain outside the footprint,
// or the frame owners and contents, changes neither the op's result nor what it does.

import type { Op } from '../ops/op.ts';
import { DOMID_SELF } from '../xen/abi.ts';

/** An op's footprint, when it is one domain (see `opFootprint`). */
export interface Footprint {
  /** The one domain whose state the op reads and changes. */
  readonly domain: number;
  /** It also reads the frame owners (and changes them not). */
  readonly owners: boolean;
}

/**
 * The one domain an op reads and changes, when that is all it touches in a state where no domain
 * is dead (a zombie's reaping reads every domain's mappings and the frame owners): its result and
 * the keyed part of its next state are then a function of that domain (and of the frame owners,
 * with `owners`), and every other domain, the frame owners and the contents stay as they were.
 * The flow ghost (src/model/flow.ts) may change: it is in no key, and the explorer builds it by
 * the model's own step for every state it stores. Undefined when the op may touch more (another
 * domain's table or mappings, the page contents) or is not declared.
 */
export function opFootprint(op: Op, domains: number): Footprint | undefined {
  const own = (d: number, owners = false): Footprint | undefined =>
    d >= 0 && d < domains ? { domain: d, owners } : undefined;
  switch (op.kind) {
    // The guest library on its own table: gnttab_grant_foreign_access_ref, gnttab_end_foreign_
    // access_ref, gnttab_grant_foreign_transfer_ref, gnttab_end_foreign_transfer_ref (strict
    // form). The grantee is a number written into the entry, not a domain looked up.
    case 'grant_access':
    case 'end_access':
    case 'grant_transfer':
    case 'end_transfer':
      return own(op.dom);
    // gnttab_setup_table / gnttab_query_size of the caller itself (rcu_lock_domain_by_any_id of
    // DOMID_SELF); another domain's size is that domain's state.
    case 'setup_table':
    case 'query_size':
      return op.dom === DOMID_SELF || op.dom === op.caller ? own(op.caller) : undefined;
    // gnttab_swap_grant_ref: two refs of the caller's own table.
    case 'swap_grant_ref':
      return own(op.caller);
    // map_grant_ref of the caller's own grants (or of a domain that does not exist: bad_domain
    // before anything is read): its maptrack, PTEs, table and p2m, and the page's owner
    // (__gnttab_map_grant_ref's "Could not pin grant frame" test).
    case 'map_grant_ref':
      return op.batch.length > 0 &&
        op.batch.every((e) => e.dom === op.caller || e.dom < 0 || e.dom >= domains)
        ? own(op.caller, true)
        : undefined;
    default:
      return undefined;
  }
}
