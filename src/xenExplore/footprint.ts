// Which part of a Xen-level state an op reads and changes: its footprint, for the explorer's
// step memo (./stepMemo.ts). Declared per op kind from the model's ops (src/model/ops), and
// checked by test/unit/xenExplore/footprint.test.ts: changing any domain outside the footprint,
// or the frame owners (unless read) and contents, changes neither the op's result nor what it
// does to the footprint's domains, and the op changes nothing else.

import type { DomainPart } from '../model/packedKey.ts';
import type { Op } from '../ops/op.ts';
import { DOMID_SELF } from '../xen/abi.ts';

/** An op's footprint, when it is one domain or two (see `opFootprint`). */
export interface Footprint {
  /** The domain whose state the op reads and changes (the caller, or the guest). */
  readonly domain: number;
  /** A second domain it reads and may change (a map's granter), or undefined: one domain. */
  readonly other?: number;
  /** With `other`: the parts of each of the two domains the op reads, beside their scalars
   * (which it does not change). It changes none of their other parts, and what it does to these
   * is a function of them (and of the frame owners, with `owners`). */
  readonly reads?: {
    readonly domain: readonly Exclude<DomainPart, 'scalars'>[];
    readonly other: readonly Exclude<DomainPart, 'scalars'>[];
  };
  /** It also reads the frame owners (and changes them not: no declared op does). */
  readonly owners: boolean;
}

/**
 * The one domain, or the two, an op reads and changes, when that is all it touches in a state
 * where no domain is dead (a zombie's reaping reads every domain's mappings and the frame
 * owners): its result and the keyed part of its next state are then a function of those domains
 * (and of the frame owners, with `owners`), and every other domain, the frame owners and the
 * contents stay as they were. The flow ghost (src/model/flow.ts) may change: it is in no key, and
 * the explorer builds it by the model's own step for every state it stores. Undefined when the
 * op may touch more (a third domain, the frame owners, the page contents) or is not declared.
 *
 * Left out, and why:
 * - transfer (gnttab_transfer): steal_page refuses a page that any domain maps (`isPageMapped`
 *   scans every domain's host PTEs and device pins), so it reads every domain; and it changes
 *   the frame owners (assign_pages) and, on a failure after the steal, the contents (the page
 *   freed). Its memo would be keyed by the whole state.
 * - unmap_grant_ref (unmap_common): its second domain is the granter its handle's mapping names,
 *   a fact of the state, not of the op; and the alphabet builds unmaps per state (a handle is a
 *   state's), so no op object repeats for the memo to code.
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
    // (map_grant_ref's "Could not pin grant frame" test). Of one other domain's grants: also
    // that granter's shared and active entries and p2m (map_grant_ref, grant_table.c: the
    // caller's maptrack and PTE, rgt's entry, pin and frame; nothing of a third domain).
    case 'map_grant_ref': {
      const other = mapGranter(op.batch, op.caller, domains);
      if (other === undefined) return undefined;
      if (other === op.caller) return own(op.caller, true);
      return Number.isInteger(op.caller) && op.caller >= 0 && op.caller < domains
        ? { domain: op.caller, other, owners: true, reads: MAP_OTHER_READS }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** What a map of another domain's grant reads (map_grant_ref, grant_table.c): of the caller,
 * its maptrack (get_maptrack_handle) and the host PTE slot (create_grant_pv_mapping: its L1
 * frames, hence its p2m); of the granter, its shared and active entries and, on the first pin,
 * its p2m (get_paged_frame). Neither's raw-write ghost, guest library or backend; not the
 * caller's own grant table, not the granter's maptrack or PTEs. */
const MAP_OTHER_READS = {
  domain: ['p2m', 'maptrack', 'host'],
  other: ['p2m', 'entries', 'active'],
} as const;

/** The one existing domain other than `caller` a map batch names (elements naming the caller or
 * a domain that does not exist aside), `caller` when it names none, undefined when it names two
 * or the batch is empty. */
function mapGranter(
  batch: readonly { readonly dom: number }[],
  caller: number,
  domains: number,
): number | undefined {
  if (batch.length === 0) return undefined;
  let other = caller;
  for (const e of batch) {
    if (e.dom === caller || !Number.isInteger(e.dom) || e.dom < 0 || e.dom >= domains) continue;
    if (other !== caller && e.dom !== other) return undefined;
    other = e.dom;
  }
  return other;
}
