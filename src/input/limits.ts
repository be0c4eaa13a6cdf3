// The limits for each kind of file grantcheck reads, in one place.

import type { InputLimits } from './json.ts';

/** Trace files (Xen-level and core): a shrunk counterexample is a few kB to a few MB; a valid
 * Xen-level trace nests 10 levels deep (trace, steps, step, state, domains, domain, grantTable,
 * entries, pair, entry). */
export const TRACE_LIMITS: InputLimits = { maxBytes: 64 * 1024 * 1024, maxDepth: 32 };

/** One message of a subject on the wire (src/subject/wire): a state nests 7 levels (message,
 * state, domains, domain, part, pair, entry). */
export const WIRE_MESSAGE_LIMITS: InputLimits = { maxBytes: 16 * 1024 * 1024, maxDepth: 16 };
