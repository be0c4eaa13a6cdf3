// The Xen-level explorer's public surface: the bounds, the model adapter and conformance mode.

export type {
  XenAlphabet,
  XenBounds,
  XenExtension,
  XenExtras,
  XenPreset,
  XenPresetName,
} from './bounds.ts';
export {
  DEFAULT_XEN_BOUNDS,
  grantConfigFor,
  MAX_XEN_BATCH,
  PROTOCOL_EXTENSIONS,
  XEN_EXTENSIONS,
  XEN_PRESETS,
  xenBoundsProblems,
  xenExtrasProblems,
  xenModelName,
} from './bounds.ts';
export type { XenExploreModel, XenModelOptions } from './model.ts';
export { alphabetKinds, xenModel, xenPresetModel } from './model.ts';
export type { XenState } from './state.ts';
export type { ConformanceOptions, ConformanceStats, TransitionShard } from './conformance.ts';
export { ownsParent, XenConformance } from './conformance.ts';
