// The calling vCPU of map_grant_ref (config.vcpus): text, validation, the config's bound.

import { describe, expect, it } from 'vitest';
import { GrantConfigSchema, makeConfig } from '../../../src/config.ts';
import { describeZodError } from '../../../src/input/schema.ts';
import type { Op } from '../../../src/ops/op.ts';
import { OpSchema, opProblem } from '../../../src/ops/schema.ts';
import { formatOp, parseOp } from '../../../src/ops/text.ts';

const onV1: Op = {
  kind: 'map_grant_ref',
  caller: 2,
  vcpu: 1,
  batch: [{ dom: 1, ref: 8, flags: 2, hostAddr: 0x1000 }],
};

describe('map_grant_ref vCPU', () => {
  it('is written only when not 0, and parses back', () => {
    expect(formatOp(onV1)).toBe('map(d2 v1: d1 ref=8 host @0x1000)');
    expect(parseOp('map(d2 v1: d1 ref=8 host @0x1000)')).toEqual({ ok: true, op: onV1 });
    expect(formatOp({ ...onV1, vcpu: 0 })).toBe('map(d2: d1 ref=8 host @0x1000)');
    const onV0: Op = { kind: 'map_grant_ref', caller: 2, batch: onV1.batch };
    expect(parseOp('map(d2: d1 ref=8 host @0x1000)')).toEqual({ ok: true, op: onV0 });
    expect(OpSchema.parse(onV1)).toEqual(onV1);
  });

  it('must name a vCPU the config has', () => {
    expect(opProblem(onV1, makeConfig())).toBe(
      'vCPU v1 of d2 does not exist (the config has 1 vCPU per domain)',
    );
    expect(opProblem(onV1, makeConfig({ vcpus: 2 }))).toBeNull();
  });

  it('config.vcpus: absent is 1, at most 4, said in one line', () => {
    expect(makeConfig().vcpus).toBeUndefined();
    const bad = GrantConfigSchema.safeParse({ ...makeConfig(), vcpus: 5 });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(describeZodError(bad.error)).toMatch(/^vcpus: .*4/);
  });
});
