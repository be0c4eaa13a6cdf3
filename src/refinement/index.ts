// Refinement of the core protocol model by the Xen-level model: the abstraction and the check.

export type { Abstracted } from './abstraction.ts';
export {
  abstractToCore,
  coreConfigFor,
  coreFrameOf,
  refinementBoundsProblems,
} from './abstraction.ts';
export type { RefinementStats } from './check.ts';
export { RefinementCheck } from './check.ts';
