// The CLI from the sources, for development: `npm run grantcheck -- run ...` runs this file
// through tsx. Users run bin/grantcheck.js, the same entry over the compiled dist/.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
