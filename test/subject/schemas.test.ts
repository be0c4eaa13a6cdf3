// docs/subject-protocol.md carries the JSON Schema of every wire message: they must be the
// validators' own, so that an implementer reading the doc reads what grantcheck enforces.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { wireJsonSchemas } from '../../src/subject/wire/schemas.ts';

it('the documented schemas are the enforced ones', () => {
  const doc = readFileSync(
    join(import.meta.dirname, '..', '..', 'docs', 'subject-protocol.md'),
    'utf8',
  );
  const appendix = doc.slice(doc.indexOf('## Appendix'));
  const documented = Object.fromEntries(
    [...appendix.matchAll(/### (\w+)\n\n```json\n([\s\S]*?)\n```/g)].map((m) => [
      m[1],
      JSON.parse(m[2] ?? ''),
    ]),
  );
  expect(documented).toEqual(wireJsonSchemas());
});
