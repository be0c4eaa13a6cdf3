// The impl's public surface: the system under test, its replaceable parts, snapshots, the
// refinement mapping to the model's state, and the types needed to inspect Xen's internals.

export { abstract, abstractUncached, resyncAbstract } from './abstract.ts';
export { DEFAULT_PARTS } from './parts.ts';
export type { ImplParts, Sequential, SequentialParts } from './parts.ts';
export { GrantSystem, withParts } from './system.ts';
export type { ImplSnapshot } from './system.ts';
export { SharedGrantMemory } from './sharedMemory.ts';
export { pauseWrites, pausing, runToEnd, withPauses } from './steps.ts';
export type { LockPause, Pause, SharedPause, Steps, WaitPause } from './steps.ts';

// For impl-side invariant checks and faults (read through GrantSystem.xen / .guests).
export type { GuestLib } from './guest/guestLib.ts';
export type { GrantPte, XenDomain } from './hypervisor/domain.ts';
export type { ActiveEntries, GrantTable } from './hypervisor/grantTable.ts';
export type { Hypervisor } from './hypervisor/hypervisor.ts';
export { ByMaptrackContent, INVALID_MAPTRACK_HANDLE } from './hypervisor/maptrack.ts';
export type { MaptrackTable } from './hypervisor/maptrack.ts';
export { NO_OWNER, PAGE_BASE_REFS } from './hypervisor/mm.ts';
export type { FrameTable } from './hypervisor/mm.ts';
export type { UnmapCommon } from './hypervisor/unmapGrantRef.ts';
