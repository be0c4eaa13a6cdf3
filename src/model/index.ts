// The reference model of Xen grant tables (v1, x86 PV, one vCPU per domain), written from
// docs/semantics.md: a pure, total step function over immutable ModelState.

export type { ModelState } from './state.ts';
export { initialState } from './init.ts';
export { step } from './step.ts';
export type { Step } from './step.ts';
export { stateKey, statesEqual } from './key.ts';
export type { EqualPair } from './key.ts';
export { diffStates } from './diff.ts';
export { describeState } from './describe.ts';
export {
  ZERO_ENTRY,
  entryAt,
  entryType,
  hasReading,
  hasWriting,
  isAcceptTransfer,
  isCommitted,
  isCompleted,
  isInUse,
  isInvalid,
  isMappableType,
  isOpenForTransfer,
  isPermitAccess,
  isReadonly,
  isReusable,
  isSubPage,
  isZeroEntry,
} from './entry.ts';
export type { EntryType } from './entry.ts';
export type { PinCounts } from './pins.ts';
export { pinIncrement, totalPins, writablePins } from './pins.ts';
export { isPageMapped, nrEntries } from './lookup.ts';
