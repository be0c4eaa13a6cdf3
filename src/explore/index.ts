// The explorer's public surface: one entry point, its options and its outcome.

export { explore } from './bfs.ts';
export { StateKeyMap } from './keyMap.ts';
export type { ExplorableModel, Invariant, StateKey } from './model.ts';
export type {
  ExploreOptions,
  ExploreProgress,
  MemorySample,
  TransitionCheck,
  TransitionContext,
  TransitionFailure,
} from './options.ts';
export { defaultMaxMemoryBytes } from './options.ts';
export { describeMemoryStop, describeOutcome } from './outcome.ts';
export type { Bound, ExploreOutcome, ExploreStats, MemoryStop, Violated } from './outcome.ts';
