// A core-model counterexample as a trace: the broken variant (end access ignoring mappings)
// found by the core explorer, for tests that load, replay or mutate core traces.
import { buildCoreTrace, coreModel } from '../../src/core/index.ts';
import type { CoreConfig, CoreTrace } from '../../src/core/index.ts';
import { explore } from '../../src/explore/index.ts';

export function brokenCoreTrace(
  tool = 'test',
  config: CoreConfig = { domains: 2, refs: 2, frames: 2, maxPin: 1 },
): CoreTrace {
  const model = coreModel(config, { variant: 'end-access-ignores-mappings' });
  const o = explore(model);
  if (o.kind !== 'violation') throw new Error(`core explore: ${o.kind}`);
  return buildCoreTrace({
    tool,
    model,
    bounds: { domains: config.domains },
    path: o.path,
    states: o.states,
    violated: o.violated,
  });
}
