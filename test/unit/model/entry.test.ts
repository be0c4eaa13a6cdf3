import { describe, expect, it } from 'vitest';
import {
  entryType,
  isInUse,
  isMappableType,
  isOpenForTransfer,
  isReusable,
} from '../../../src/model/index.ts';
import { pinIncrement, wouldOverflow } from '../../../src/model/pins.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GTF_PWT,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_reading,
  GTF_readonly,
  GTF_sub_page,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_transitive,
  GTF_writing,
} from '../../../src/xen/abi.ts';

const e = (flags: number) => ({ flags, domid: 1, frame: 2 });

describe('entry predicates', () => {
  it('entryType reads the two type bits only', () => {
    expect([0, 1, 2, 3].map((t) => entryType(e(t | GTF_reading)))).toEqual([
      'invalid',
      'permit_access',
      'accept_transfer',
      'transitive',
    ]);
  });

  it('isReusable: invalid and not in use, or a finished transfer', () => {
    expect(isReusable(e(0))).toBe(true);
    expect(isReusable(e(GTF_readonly | GTF_PWT))).toBe(true);
    expect(isReusable(e(GTF_reading))).toBe(false);
    expect(isReusable(e(GTF_writing))).toBe(false);
    expect(isReusable(e(GTF_permit_access))).toBe(false);
    expect(isReusable(e(GTF_transitive))).toBe(false);
    expect(isReusable(e(GTF_accept_transfer | GTF_transfer_committed))).toBe(false);
    expect(isReusable(e(GTF_accept_transfer | GTF_transfer_completed))).toBe(false);
    const done = GTF_accept_transfer | GTF_transfer_committed | GTF_transfer_completed;
    expect(isReusable(e(done))).toBe(true);
  });

  it('isInUse, isMappableType, isOpenForTransfer', () => {
    expect(isInUse(e(GTF_permit_access | GTF_writing))).toBe(true);
    expect(isMappableType(e(GTF_permit_access | GTF_readonly | GTF_PWT))).toBe(true);
    expect(isMappableType(e(GTF_permit_access | GTF_sub_page))).toBe(false);
    expect(isOpenForTransfer(e(GTF_accept_transfer))).toBe(true);
    expect(isOpenForTransfer(e(GTF_accept_transfer | GTF_PWT))).toBe(false);
  });
});

describe('pins', () => {
  it('pinIncrement: one counter per mapping kind, readonly picks r/w', () => {
    expect(pinIncrement(GNTMAP_host_map | GNTMAP_device_map | GNTMAP_readonly)).toEqual({
      hostWritable: 0,
      hostReadonly: 1,
      deviceWritable: 0,
      deviceReadonly: 1,
    });
    expect(pinIncrement(GNTMAP_readonly)).toEqual({
      hostWritable: 0,
      hostReadonly: 0,
      deviceWritable: 0,
      deviceReadonly: 0,
    });
  });

  it('wouldOverflow tests only the counters being incremented, at 128', () => {
    const full = { hostWritable: 0, hostReadonly: 128, deviceWritable: 127, deviceReadonly: 0 };
    expect(wouldOverflow(full, pinIncrement(GNTMAP_host_map | GNTMAP_readonly))).toBe(true);
    expect(wouldOverflow(full, pinIncrement(GNTMAP_device_map))).toBe(false);
  });
});
