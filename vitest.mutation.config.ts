// The tests StrykerJS runs against each mutant of src/impl (`npm run mutation`): the property
// suites, the impl's unit tests, the fault catalogue and the trace corpus. The "fresh" seed of the
// property tests is pinned too, so that every mutant meets the same runs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/properties/**/*.test.ts',
      'test/unit/impl/**/*.test.ts',
      'test/faults/**/*.test.ts',
      'test/corpus/**/*.test.ts',
    ],
    env: { GRANTCHECK_SEED: '7' },
    // The sequential twins, generated in Stryker's sandbox from its instrumented sources (they
    // are git-ignored, so not copied): a mutant of a step is then active in its twin too.
    globalSetup: ['bin/gen-sequential.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
