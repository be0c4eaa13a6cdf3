#!/usr/bin/env node
// The `grantcheck` command: runs the compiled CLI in dist/ (built by `npm run build`, which
// `npm ci` runs through `prepare`). `npm run grantcheck` runs the sources through tsx instead.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
