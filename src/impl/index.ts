// The impl's public surface: the system under test, its replaceable parts, snapshots, and the
// refinement mapping to the model's state.

export { abstract } from './abstract.ts';
export { DEFAULT_PARTS } from './parts.ts';
export type { ImplParts } from './parts.ts';
export { GrantSystem, withParts } from './system.ts';
export type { ImplSnapshot } from './system.ts';
export { SharedGrantMemory } from './sharedMemory.ts';
export type { SharedAccess, SharedAccessHook } from './sharedMemory.ts';
