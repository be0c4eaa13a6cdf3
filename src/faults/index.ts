// The fault catalogue: deliberately broken impls, each re-creating one real bug class by
// replacing one part. `grantcheck run --fault ID` and `grantcheck replay` use them; traces name
// the fault they were recorded against. docs/faults.md documents each one and how to add one.

import { badDevAddrAsGeneralError } from './badDevAddrAsGeneralError.ts';
import { copyDomainCacheSelfRule } from './copyDomainCacheSelfRule.ts';
import { copySourcePastPageEnd } from './copySourcePastPageEnd.ts';
import { endAccessIgnoresWriting } from './endAccessIgnoresWriting.ts';
import { endTransferCancelsCommitted } from './endTransferCancelsCommitted.ts';
import { endAccessIgnoresConcurrentWriting } from './endAccessIgnoresConcurrentWriting.ts';
import { endAccessNonAtomic } from './endAccessNonAtomic.ts';
import type { Fault } from './fault.ts';
import { mapNoStatusRollback } from './mapNoStatusRollback.ts';
import { maptrackLifo } from './maptrackLifo.ts';
import { noSpaceAsNoDeviceSpace } from './noSpaceAsNoDeviceSpace.ts';
import { pinOverflowAllCounters } from './pinOverflowAllCounters.ts';
import { setStatusNotAtomic } from './setStatusNotAtomic.ts';
import { statusHostOnly } from './statusHostOnly.ts';
import { swapUnlockedPinCheck } from './swapUnlockedPinCheck.ts';
import { xsa228MaptrackPopSplit } from './xsa228MaptrackPopSplit.ts';
import { transferCommitNotAtomic } from './transferCommitNotAtomic.ts';
import { transferAcceptsExtraFlags } from './transferAcceptsExtraFlags.ts';
import { transferIgnoresDomid } from './transferIgnoresDomid.ts';
import { xsa134SwapAsV2 } from './xsa134SwapAsV2.ts';
import { xsa18SwapUncheckedRefs } from './xsa18SwapUncheckedRefs.ts';
import { xsa218UnmapDoubleFree } from './xsa218UnmapDoubleFree.ts';
import { xsa218UnmapNoLockedRecheck } from './xsa218UnmapNoLockedRecheck.ts';
import { xsa224DevAddrZero } from './xsa224DevAddrZero.ts';
import { xsa224OneRefForHostAndDevice } from './xsa224OneRefForHostAndDevice.ts';
import { xsa227MisalignedPte } from './xsa227MisalignedPte.ts';
import { xsa234PteFlagsUnchecked } from './xsa234PteFlagsUnchecked.ts';
import { xsa287StealMappedPage } from './xsa287StealMappedPage.ts';
import { xsa316PositiveStatus } from './xsa316PositiveStatus.ts';
import { xsa385TransferPastMaxPages } from './xsa385TransferPastMaxPages.ts';
import { xsa230CopyStatusHostOnly } from './xsa230CopyStatusHostOnly.ts';
import { xsa448ZeroLengthCopy } from './xsa448ZeroLengthCopy.ts';
import { xsa295SetStatusGivesUp } from './xsa295SetStatusGivesUp.ts';
import { xsa73TransferLockOrder } from './xsa73TransferLockOrder.ts';
import { teardownFreesMappedFrame } from './teardownFreesMappedFrame.ts';
import { releaseMappingsPutsHostRefs } from './releaseMappingsPutsHostRefs.ts';
import { transferToDyingDomain } from './transferToDyingDomain.ts';
import { xsa396EndAccessInUse } from './xsa396EndAccessInUse.ts';
import { xsa396DeferredNoPage } from './xsa396DeferredNoPage.ts';
import { xsa396DeferredDropsPage } from './xsa396DeferredDropsPage.ts';
import { linuxReservedRefFreed } from './linuxReservedRefFreed.ts';
import { xsa361BackendBatchHalfMapped } from './xsa361BackendBatchHalfMapped.ts';
import { miniOsSemaphoreOvercount } from './miniOsSemaphoreOvercount.ts';

export type { Fault } from './fault.ts';
export { faultConfig, faultSubject, subjectOf, withProfile } from './fault.ts';

/** Hypervisor faults in the order of the XSA table, then the non-XSA fixes, then the guest's; then
 * the races, in the same order. */
export const FAULTS: readonly Fault[] = [
  xsa18SwapUncheckedRefs,
  xsa134SwapAsV2,
  xsa218UnmapDoubleFree,
  xsa224DevAddrZero,
  xsa224OneRefForHostAndDevice,
  xsa227MisalignedPte,
  statusHostOnly,
  xsa234PteFlagsUnchecked,
  xsa230CopyStatusHostOnly,
  xsa287StealMappedPage,
  xsa316PositiveStatus,
  xsa385TransferPastMaxPages,
  xsa448ZeroLengthCopy,
  copyDomainCacheSelfRule,
  copySourcePastPageEnd,
  mapNoStatusRollback,
  pinOverflowAllCounters,
  noSpaceAsNoDeviceSpace,
  badDevAddrAsGeneralError,
  transferAcceptsExtraFlags,
  transferIgnoresDomid,
  maptrackLifo,
  endAccessIgnoresWriting,
  endTransferCancelsCommitted,
  // Domain death (docs/semantics.md §17): caught by the death suite only, whose teardown casts
  // (properties/generators/ops.ts, deathFocusArbitrary) reach Xen's two teardown fixes on every
  // seed; then the synthetic one.
  releaseMappingsPutsHostRefs,
  transferToDyingDomain,
  teardownFreesMappedFrame,
  // Guest libraries (issue 14 §5): each runs with its profile (Fault.profile)
  xsa396EndAccessInUse,
  xsa396DeferredNoPage,
  xsa396DeferredDropsPage,
  linuxReservedRefFreed,
  miniOsSemaphoreOvercount,
  // Backends as actors (issue 14 §3, §5): run by the backends suite (Fault.suite)
  xsa361BackendBatchHalfMapped,
  // Races (caught only by grantcheck interleave): Xen's, then the guest's.
  xsa73TransferLockOrder,
  xsa218UnmapNoLockedRecheck,
  xsa295SetStatusGivesUp,
  setStatusNotAtomic,
  transferCommitNotAtomic,
  swapUnlockedPinCheck,
  xsa228MaptrackPopSplit,
  endAccessNonAtomic,
  endAccessIgnoresConcurrentWriting,
];

export function findFault(id: string): Fault | undefined {
  return FAULTS.find((f) => f.id === id);
}
