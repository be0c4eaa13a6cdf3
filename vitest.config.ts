import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The sequential twins of the impl's steps, regenerated so that a test never runs stale ones;
    // then the command's bundle (dist/cli/), rebuilt from them and the other sources, so that
    // the tests of the built command never run a stale one either.
    globalSetup: ['bin/gen-sequential.ts', 'bin/build-cli.ts'],
    // One test file per core. vitest's default keeps a core for its own process, which mostly
    // waits: on a 2-core machine (CI's) that ran the files one at a time.
    maxWorkers: availableParallelism(),
    // A hang still fails; a heavy test sharing the cores with another file's does not (those
    // without a timeout of their own took up to 56 s on 2 cores, two files at a time).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // No test may read or grow the user's failure database; its own tests pass --failures.
    env: { GRANTCHECK_FAILURES: 'off' },
  },
});
