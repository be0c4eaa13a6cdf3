// One op on the whole system, as steps (./steps.ts): the guest library's calls, the page ops
// (which pause nowhere) and do_grant_table_op, with the ghost bookkeeping the model's writeEntry
// and swap need. GrantSystem.steps hands these steps to the interleaving engine; GrantSystem.apply
// runs their sequential twin (bin/gen-sequential.ts), the same code without its pauses.

import type { BackendOp, DomId, Op, ProfileOp, Ref, SwapGrantRefOp } from '../ops/op.ts';
import { actingDomain, PROFILE_OP_KINDS, unreachable } from '../ops/op.ts';
import { profileEndAccess, profileGrantAccess, profileOp } from './guest/profiles/index.ts';
import type { OpResult } from '../ops/result.ts';
import { GNTST_okay, GNTTAB_NR_RESERVED_ENTRIES } from '../xen/abi.ts';
import { readMapped } from './guest/readMapped.ts';
import { readPage } from './guest/readPage.ts';
import { writeMapped } from './guest/writeMapped.ts';
import { writePage } from './guest/writePage.ts';
import { doGrantTableOp } from './hypervisor/grantTableOp.ts';
import { DOMDYING_alive } from './hypervisor/domain.ts';
import { completeDomainDestroys, destroyDomain } from './hypervisor/domainDeath.ts';
import type { Steps } from './steps.ts';
import { backendIo, BackendLib, backendMap, backendUnmap } from './guest/backend/backend.ts';
import { noPauses } from './steps.ts';
import type { GrantSystem } from './system.ts';

/** The op's steps. Why not a generator? It would re-yield every pause of the op; handing back
 * the op's own steps (wrapped only where ghost bookkeeping follows) costs nothing per pause. */
export function opSteps(system: GrantSystem, op: Op): Steps<OpResult> {
  const parts = system.xen.parts;
  // Domain death (docs/semantics.md §17): domain_kill paused the domain for good.
  if (system.xen.domains[actingDomain(op)]?.isDying !== DOMDYING_alive) {
    return noPauses(() => NOT_RUNNING);
  }
  switch (op.kind) {
    case 'grant_access': {
      const lib = system.guest(op.dom).profile;
      if (lib !== undefined) return noPauses(() => profileCall(system, op));
      return libraryWrote(system, op, parts.guestGrantAccess(system.guest(op.dom), op));
    }
    case 'end_access': {
      const lib = system.guest(op.dom).profile;
      if (lib !== undefined) return noPauses(() => profileCall(system, op));
      return libraryWrote(system, op, parts.guestEndAccess(system.guest(op.dom), op));
    }
    case 'grant_transfer':
      return libraryWrote(system, op, parts.guestGrantTransfer(system.guest(op.dom), op));
    case 'end_transfer':
      return libraryWrote(system, op, parts.guestEndTransfer(system.guest(op.dom), op));
    case 'raw_write':
      return parts.guestRawWrite(system.guest(op.dom), op);
    case 'write_page':
      return noPauses(() => writePage(system.xen, op));
    case 'read_page':
      return noPauses(() => readPage(system.xen, op));
    case 'write_mapped':
      return noPauses(() => writeMapped(system.xen, op));
    case 'read_mapped':
      return noPauses(() => readMapped(system.xen, op));
    case 'map_grant_ref':
    case 'unmap_grant_ref':
    case 'unmap_and_replace':
      // a put_page may free a zombie's last page: its grant table goes at the hypercall's end
      return rcuCompleted(system, doGrantTableOp(system.xen, op));
    case 'transfer':
    case 'setup_table':
    case 'query_size':
    case 'copy':
      return doGrantTableOp(system.xen, op);
    case 'swap_grant_ref':
      return swapped(system, op, doGrantTableOp(system.xen, op));
    case 'destroy_domain':
      return noPauses(() => destroyDomain(system.xen, op));
    case 'alloc_refs':
    case 'free_ref':
    case 'end_access_deferred':
    case 'tick':
    case 'free_page':
      return noPauses(() => profileCall(system, op));
    case 'backend_map':
    case 'backend_io':
    case 'backend_unmap':
      return noPauses(() => backendCall(system, op));
    default:
      return unreachable(op);
  }
}

/** A call into a domain's backend driver (./guest/backend), run to its end: its hypercalls are
 * whole ops of the system (they do not pause: backends are checked sequentially). The driver
 * exists from its first map batch on. */
function backendCall(system: GrantSystem, op: BackendOp): OpResult {
  const guest = system.guest(op.dom);
  const host = { apply: (inner: Op) => system.apply(inner), parts: system.parts };
  let result: OpResult;
  if (op.kind === 'backend_map') {
    const lib = guest.backend ?? new BackendLib(op.dom);
    result = backendMap(lib, host, op);
    if (result.outcome === 'ok' || result.outcome === 'failed') guest.backend = lib;
  } else if (guest.backend === undefined) {
    result = { kind: op.kind, outcome: 'contract' };
  } else if (op.kind === 'backend_io') {
    result = backendIo(guest.backend, host, op);
  } else {
    result = backendUnmap(guest.backend, host, op);
  }
  guest.refreshBackend();
  return result;
}

const NOT_RUNNING: OpResult = { kind: 'not_running' };

/** complete_domain_destroy for the domains the hypercall destroyed (the RCU grace period ends
 * with the hypercall; hypervisor/domainDeath.ts). */
function* rcuCompleted(system: GrantSystem, steps: Steps<OpResult>): Steps<OpResult> {
  const result = yield* steps;
  if (system.xen.rcuPending.length > 0) completeDomainDestroys(system.xen);
  return result;
}

/** A call into a domain's real guest library (src/impl/guest/profiles), run to its end (the
 * profiles do not pause: they are checked sequentially), with the raw-write ghost as the
 * model's writeEntry keeps it: a library store over a pinned entry marks the ref, one over an
 * unpinned entry clears the mark. */
function profileCall(system: GrantSystem, op: Op & { readonly dom: DomId }): OpResult {
  const guest = system.guest(op.dom);
  const lib = guest.profile;
  const parts = system.parts;
  const deferredBefore = lib?.deferred.map((d) => d.ref) ?? [];
  let result: OpResult;
  if (op.kind === 'grant_access') {
    result =
      lib === undefined ? { kind: op.kind, outcome: 'unsupported' } : profileGrantAccess(lib, op);
  } else if (op.kind === 'end_access') {
    result =
      lib === undefined
        ? { kind: op.kind, outcome: 'unsupported' }
        : profileEndAccess(lib, parts, op);
  } else if (isProfileOp(op)) {
    result = profileOp(lib, parts, op);
  } else {
    throw new Error(`not a library call: ${op.kind}`);
  }
  const table = system.xen.domains[op.dom]?.grantTable;
  const written = 'outcome' in result && (result.outcome === 'ok' || result.outcome === 'ended');
  if (table !== undefined && written && 'ref' in op) {
    const pinned = table.active.pinOf(op.ref) !== 0;
    if (op.kind === 'grant_access' && pinned) guest.markRawWritten(op.ref);
    else if (
      !pinned &&
      (op.kind === 'grant_access' || op.kind === 'end_access' || op.kind === 'end_access_deferred')
    )
      guest.unmarkRawWritten(op.ref);
  }
  if (table !== undefined && op.kind === 'tick' && lib !== undefined) {
    // Each reclaimed end cleared its entry's flags while unpinned, as writeEntry does.
    const still = new Set(lib.deferred.map((d) => d.ref));
    for (const ref of deferredBefore) {
      if (!still.has(ref) && table.active.pinOf(ref) === 0) guest.unmarkRawWritten(ref);
    }
  }
  guest.refreshProfile();
  return result;
}

function isProfileOp(op: Op): op is ProfileOp {
  return (PROFILE_OP_KINDS as readonly string[]).includes(op.kind);
}

/** Ghost bookkeeping after a library call: one that wrote the entry while Xen held no pin
 * on it clears the raw-write mark (the model's writeEntry). */
function* libraryWrote(
  system: GrantSystem,
  op: Op & { readonly dom: DomId; readonly ref: Ref },
  steps: Steps<OpResult>,
): Steps<OpResult> {
  const result = yield* steps;
  const wrote =
    ('outcome' in result && (result.outcome === 'ok' || result.outcome === 'ended')) ||
    (result.kind === 'end_transfer' && result.outcome === 'cancelled');
  const domain = system.xen.domains[op.dom];
  if (wrote && domain && domain.grantTable.active.pinOf(op.ref) === 0) {
    system.guest(op.dom).unmarkRawWritten(op.ref);
  }
  return result;
}

/** Ghost bookkeeping after a swap (the model's swapGrantRef): each element that exchanged
 * two entries exchanges their raw-write marks too; a reserved ref that received an entry is
 * marked, since the library never writes there. */
function* swapped(
  system: GrantSystem,
  op: SwapGrantRefOp,
  steps: Steps<OpResult>,
): Steps<OpResult> {
  const result = yield* steps;
  if (result.kind !== 'swap_grant_ref') return result;
  const guest = system.guest(op.caller);
  for (const [i, status] of result.statuses.entries()) {
    const args = op.batch[i];
    if (status !== GNTST_okay || args === undefined || args.refA === args.refB) continue;
    const markedA = guest.rawWritten.has(args.refA);
    const markedB = guest.rawWritten.has(args.refB);
    for (const [ref, marked] of [
      [args.refA, markedB],
      [args.refB, markedA],
    ] as const) {
      if (marked || ref < GNTTAB_NR_RESERVED_ENTRIES) guest.markRawWritten(ref);
      else guest.unmarkRawWritten(ref);
    }
  }
  return result;
}
