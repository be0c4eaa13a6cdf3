// One validation layer for every file grantcheck reads: limits before parsing, one bounded,
// escaped line for every problem, and quote() for any value from outside that a message shows.

export type { InputLimits, InputResult } from './json.ts';
export { decodeText, depthExceededAt, formatPath, parseJsonText, readJsonFile } from './json.ts';
export { TRACE_LIMITS, WIRE_MESSAGE_LIMITS } from './limits.ts';
export { clipText, escapeText, hasUnsafeChars, quote, QUOTE_MAX, safeJson } from './quote.ts';
export { describeZodError, printable, validate } from './schema.ts';
