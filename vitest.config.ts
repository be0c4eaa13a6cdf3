import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // No test may read or grow the user's failure database; its own tests pass --failures.
    env: { GRANTCHECK_FAILURES: 'off' },
  },
});
