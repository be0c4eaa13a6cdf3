// The core protocol model's public surface: build one, name and print its actions and states.

export type { CoreAction, CoreActionKind } from './action.ts';
export { formatCoreAction, parseCoreAction } from './action.ts';
export type { CoreConfig } from './config.ts';
export { coreConfigProblems } from './config.ts';
export type { CoreModel, CoreModelOptions } from './model.ts';
export { coreModel, coreModelName } from './model.ts';
export type { CoreEntry, CoreState } from './state.ts';
export { describeCoreState } from './state.ts';
export type { CoreVariant } from './step.ts';
export type { CoreSymmetry } from './symmetry.ts';
export type { CoreReplay, CoreReplayRow, CoreTrace, CoreTraceLoad } from './trace.ts';
export {
  buildCoreTrace,
  isCoreTrace,
  loadCoreTrace,
  parseCoreTrace,
  replayCoreTrace,
  writeCoreTrace,
} from './trace.ts';
