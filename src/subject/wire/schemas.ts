// The JSON Schema of every wire message, from the validators themselves (docs/subject-protocol.md
// carries them; test/subject/schemas.test.ts keeps the two equal).

import { z } from 'zod';
import { HelloSchema, RequestSchema, ResponseSchemas } from './protocol.ts';

/** Message name -> JSON Schema (draft 2020-12). */
export function wireJsonSchemas(): Record<string, unknown> {
  const schema = (s: z.ZodType): unknown => z.toJSONSchema(s, { io: 'input' });
  return {
    hello: schema(HelloSchema),
    request: schema(RequestSchema),
    ...Object.fromEntries(Object.entries(ResponseSchemas).map(([name, s]) => [name, schema(s)])),
  };
}
