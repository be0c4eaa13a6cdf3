// The Xen-level explorer's public surface: the bounds, the model adapter and conformance mode.

export type { XenAlphabet, XenBounds, XenExtension, XenExtras } from './bounds.ts';
export {
  DEFAULT_XEN_BOUNDS,
  grantConfigFor,
  XEN_EXTENSIONS,
  xenBoundsProblems,
  xenModelName,
} from './bounds.ts';
export type { XenExploreModel, XenModelOptions } from './model.ts';
export { xenModel } from './model.ts';
export type { XenState } from './state.ts';
export type { ConformanceOptions, ConformanceStats } from './conformance.ts';
export { XenConformance } from './conformance.ts';
