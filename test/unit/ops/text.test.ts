import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config.ts';
import { OP_KINDS } from '../../../src/ops/op.ts';
import { OpSchema } from '../../../src/ops/schema.ts';
import { formatMapFlags, formatOp, parseMapFlags, parseOp } from '../../../src/ops/text.ts';
import { OpSpace, opArbitrary } from '../../../properties/generators/ops.ts';
import { testSeeds } from '../../support/seeds.ts';

const space = new OpSpace(DEFAULT_CONFIG);
const anyOp = fc.oneof(...OP_KINDS.map((k) => opArbitrary(space, k)));

describe('canonical op text', () => {
  it('formats each op kind as documented', () => {
    expect(
      formatOp({ kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 3, readonly: true }),
    ).toBe('grant_access(d1 ref=8 -> d2 gfn=3 ro)');
    expect(
      formatOp({
        kind: 'map_grant_ref',
        caller: 2,
        batch: [{ dom: 1, ref: 8, flags: 6, hostAddr: 0x5000 }],
      }),
    ).toBe('map(d2: d1 ref=8 host|ro @0x5000)');
    expect(formatOp({ kind: 'query_size', caller: 1, dom: 0x7ff0 })).toBe(
      'query_size(d1: dom=self)',
    );
    expect(
      formatOp({
        kind: 'unmap_grant_ref',
        caller: 2,
        batch: [{ handle: 0, hostAddr: 0x5000, devBusAddr: 0 }],
      }),
    ).toBe('unmap(d2: h=0 host=0x5000 dev=0x0)');
    expect(
      formatOp({
        kind: 'swap_grant_ref',
        caller: 1,
        batch: [
          { refA: 8, refB: 9 },
          { refA: 9, refB: 9 },
        ],
      }),
    ).toBe('swap(d1: ref=8 <-> ref=9; ref=9 <-> ref=9)');
  });

  it('keeps unnamed map flag bits', () => {
    expect(formatMapFlags(0)).toBe('none');
    expect(formatMapFlags(0x10002)).toBe('host|0x10000');
    expect(parseMapFlags('host|0x10000')).toBe(0x10002);
  });

  for (const seed of testSeeds('op text round trip')) {
    it(`parseOp(formatOp(op)) = op (seed ${seed})`, () => {
      fc.assert(
        fc.property(anyOp, (op) => {
          const parsed = parseOp(formatOp(op));
          expect(parsed).toEqual({ ok: true, op });
        }),
        { seed, numRuns: 300 },
      );
    });
  }

  it('every generated op passes validation', () => {
    fc.assert(
      fc.property(anyOp, (op) => OpSchema.safeParse(op).success),
      { seed: 7, numRuns: 300 },
    );
  });

  it('rejects malformed text with a message naming the problem', () => {
    expect(parseOp('grant_access(d1 ref=x -> d2 gfn=3 ro)')).toEqual({
      ok: false,
      error: "grant_access: ref: 'x' is not a number",
    });
    expect(parseOp('frobnicate(d1)')).toEqual({
      ok: false,
      error: "frobnicate: unknown op 'frobnicate'",
    });
    expect(parseOp('map d1')).toMatchObject({ ok: false });
    expect(parseOp('end_access(d1 ref=8 extra)')).toMatchObject({ ok: false });
  });
});
