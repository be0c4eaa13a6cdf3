#!/usr/bin/env node
// The `grantcheck` command: runs the bundled CLI in dist/cli/ (built by `npm run build`, which
// `npm ci` runs through `prepare`; see bin/build-cli.ts). `npm run grantcheck` runs the sources
// through tsx instead.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
