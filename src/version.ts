// grantcheck's version (kept equal to package.json's by a unit test) and the tool string
// recorded in traces.

export const VERSION = '0.1.0';
export const TOOL = `grantcheck ${VERSION}`;
