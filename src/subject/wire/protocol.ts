// The subject wire protocol (docs/subject-protocol.md): JSON lines over a child process's stdin
// and stdout. The subject speaks first (hello); then grantcheck sends requests and the subject
// answers each with exactly one line, in order: one request at a time, unless the hello says
// `pipelining` (then the ops of a run may be sent ahead of their answers). Every message a
// subject sends is validated here; a bad one is one line naming the message and the field.

import { z } from 'zod';
import { GrantConfigSchema } from '../../config.ts';
import { OP_KINDS } from '../../ops/op.ts';
import { OpSchema } from '../../ops/schema.ts';
import { OpResultSchema } from '../../trace/format.ts';
import { printable } from '../../input/schema.ts';
import { STATE_PARTS } from '../subject.ts';
import { WireStateSchema } from './state.ts';

export const WIRE_PROTOCOL_VERSION = 1;

/** subject → grantcheck, first line: who it is and what it can do. */
export const HelloSchema = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  // Printed in every report (`compared: NAME …`): no control characters.
  name: printable(100).min(1),
  opKinds: z.array(z.enum(OP_KINDS as [string, ...string[]])).min(1),
  observes: z.array(z.enum(STATE_PARTS)),
  snapshots: z.boolean(),
  // It answers requests strictly in order, reading each line as it comes: grantcheck may send
  // apply requests before it has read the answers to earlier ones (absent: false).
  pipelining: z.boolean().optional(),
});

/** grantcheck → subject. */
export const RequestSchema = z.discriminatedUnion('type', [
  // Start over in the initial state of this config; answered by `ready`.
  z.strictObject({ type: z.literal('reset'), config: GrantConfigSchema }),
  // Apply one op; answered by `result` (with `state` when asked).
  z.strictObject({ type: z.literal('apply'), op: OpSchema, state: z.boolean() }),
  // Report the state; answered by `state`.
  z.strictObject({ type: z.literal('state') }),
  // Save the state (subjects that declared snapshots); answered by `snapshot`.
  z.strictObject({ type: z.literal('snapshot') }),
  // Return to a saved state; answered by `restored`.
  z.strictObject({ type: z.literal('restore'), id: z.string() }),
  // Exit; not answered.
  z.strictObject({ type: z.literal('bye') }),
]);

export type Request = z.infer<typeof RequestSchema>;

/** subject → grantcheck: one per request (but bye). `error`: the subject could not do it. */
export const ResponseSchemas = {
  // `state`: where this instance starts, when it is not the config's initial state (what a
  // real system cannot undo, such as a grown grant table); the model starts there too.
  ready: z.strictObject({ type: z.literal('ready'), state: WireStateSchema.optional() }),
  // Answers a reset: the subject cannot return to a state the model can start from; grantcheck
  // starts the subject's process afresh and resets it again.
  restart: z.strictObject({ type: z.literal('restart'), reason: z.string().max(1000) }),
  result: z.strictObject({
    type: z.literal('result'),
    result: OpResultSchema,
    state: WireStateSchema.optional(),
  }),
  state: z.strictObject({ type: z.literal('state'), state: WireStateSchema }),
  snapshot: z.strictObject({ type: z.literal('snapshot'), id: z.string().max(200) }),
  restored: z.strictObject({ type: z.literal('restored') }),
  error: z.strictObject({ type: z.literal('error'), message: z.string() }),
} as const;
