// The searches of the CLI's modes (core, xen, xen --conformance, xen --refinement), each too big
// to finish, built ahead so that a test times or measures only the search itself.

import { coreModel } from '../../../src/core/model.ts';
import { explore } from '../../../src/explore/bfs.ts';
import type { ExploreOptions } from '../../../src/explore/options.ts';
import type { ExploreOutcome } from '../../../src/explore/outcome.ts';
import type { Op } from '../../../src/ops/op.ts';
import { RefinementCheck } from '../../../src/refinement/index.ts';
import type { XenState } from '../../../src/xenExplore/index.ts';
import { XenConformance, xenModel } from '../../../src/xenExplore/index.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';

export type BoundOptions = Pick<
  ExploreOptions<unknown, unknown>,
  'timeBudgetMs' | 'maxMemoryBytes' | 'clock'
>;
export type Search = (o: BoundOptions) => ExploreOutcome<unknown, unknown>;

function xenSearch(conformance: boolean): Search {
  const m = xenModel(
    { domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' },
    { invariants: INVARIANTS },
  );
  const c = conformance
    ? new XenConformance(m, { invariants: INVARIANTS, properties: STEP_PROPERTIES })
    : undefined;
  return (o) =>
    explore<XenState, Op>(m, { ...o, symmetry: true, ...(c ? { onTransition: c.check } : {}) });
}

export const SEARCHES = {
  core: (): Search => {
    const m = coreModel({ domains: 2, refs: 2, frames: 4, maxPin: 2 });
    return (o) => explore(m, o);
  },
  xen: (): Search => xenSearch(false),
  conformance: (): Search => xenSearch(true),
  refinement: (): Search => {
    const m = xenModel(
      { domains: 2, refs: 1, pages: 2, maxPin: 1, alphabet: 'protocol' },
      { invariants: INVARIANTS },
    );
    const r = new RefinementCheck(m);
    return (o) => explore(m, { ...o, symmetry: true, onTransition: r.check });
  },
} as const;

export type SearchName = keyof typeof SEARCHES;
