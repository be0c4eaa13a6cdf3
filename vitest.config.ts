import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The sequential twins of the impl's steps, regenerated so that a test never runs stale ones.
    globalSetup: ['bin/gen-sequential.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // No test may read or grow the user's failure database; its own tests pass --failures.
    env: { GRANTCHECK_FAILURES: 'off' },
  },
});
