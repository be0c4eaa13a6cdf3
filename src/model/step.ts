// The model's transition function: one op, atomically, to the next state and its result. The
// role do_grant_table_op (grant_table.c L3636-3813) plays for the hypercalls.

import type { Op } from '../ops/op.ts';
import { actingDomain, unreachable } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { copy } from './ops/copy.ts';
import { endAccess } from './ops/endAccess.ts';
import { endTransfer } from './ops/endTransfer.ts';
import { grantAccess } from './ops/grantAccess.ts';
import { grantTransfer } from './ops/grantTransfer.ts';
import { mapGrantRef } from './ops/mapGrantRef.ts';
import { querySize } from './ops/querySize.ts';
import { readMapped } from './ops/readMapped.ts';
import { readPage } from './ops/readPage.ts';
import { writeMapped } from './ops/writeMapped.ts';
import { writePage } from './ops/writePage.ts';
import { rawWrite } from './ops/rawWrite.ts';
import { setupTable } from './ops/setupTable.ts';
import { swapGrantRef } from './ops/swapGrantRef.ts';
import { transfer } from './ops/transfer.ts';
import { unmapAndReplace } from './ops/unmapAndReplace.ts';
import { unmapGrantRef } from './ops/unmapGrantRef.ts';
import { profileEndAccess, profileGrantAccess, profileStep } from './profiles/step.ts';
import type { DomainState, ModelState } from './state.ts';
import { destroyDomain } from './ops/destroyDomain.ts';
import { backendStep } from './backend/step.ts';

export interface Step {
  readonly state: ModelState;
  readonly result: OpResult;
}

const NOT_RUNNING: Step['result'] = { kind: 'not_running' };

/** Is some domain dying or gone? Most states have none, and then the acting domain need not be
 * found (actingDomain's `'caller' in op` is a slow lookup on ops of many shapes). */
function anyDead(domains: readonly DomainState[]): boolean {
  for (let i = 0; i < domains.length; i++) if (domains[i]?.death !== undefined) return true;
  return false;
}

/** Pure and total: an invalid call is a modelled result, never an exception. */
export function step(state: ModelState, op: Op): Step {
  // Domain death (§17): a dying or gone domain never runs again (domain_kill paused it).
  if (anyDead(state.domains) && state.domains[actingDomain(op)]?.death !== undefined) {
    return { state, result: NOT_RUNNING };
  }
  switch (op.kind) {
    case 'grant_access':
      return profileGrantAccess(state, op) ?? grantAccess(state, op);
    case 'end_access':
      return profileEndAccess(state, op) ?? endAccess(state, op);
    case 'grant_transfer':
      return grantTransfer(state, op);
    case 'end_transfer':
      return endTransfer(state, op);
    case 'raw_write':
      return rawWrite(state, op);
    case 'write_page':
      return writePage(state, op);
    case 'read_page':
      return readPage(state, op);
    case 'write_mapped':
      return writeMapped(state, op);
    case 'read_mapped':
      return readMapped(state, op);
    case 'map_grant_ref':
      return mapGrantRef(state, op);
    case 'unmap_grant_ref':
      return unmapGrantRef(state, op);
    case 'transfer':
      return transfer(state, op);
    case 'setup_table':
      return setupTable(state, op);
    case 'query_size':
      return querySize(state, op);
    case 'unmap_and_replace':
      return unmapAndReplace(state, op);
    case 'swap_grant_ref':
      return swapGrantRef(state, op);
    case 'copy':
      return copy(state, op);
    case 'destroy_domain':
      return destroyDomain(state, op);
    case 'alloc_refs':
    case 'free_ref':
    case 'end_access_deferred':
    case 'tick':
    case 'free_page':
      return profileStep(state, op);
    case 'backend_map':
    case 'backend_io':
    case 'backend_unmap':
      return backendStep(state, op);
    default:
      return unreachable(op);
  }
}
