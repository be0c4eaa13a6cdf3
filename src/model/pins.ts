// The four pin counts of an active entry (GNTPIN_*, grant_table.c L354-378) as named numbers,
// and the increment a mapping contributes. The impl packs them into one u32; the model does not.

import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_COUNTER_LIMIT,
} from '../xen/abi.ts';

export interface PinCounts {
  readonly hostWritable: number; // hstw
  readonly hostReadonly: number; // hstr
  readonly deviceWritable: number; // devw
  readonly deviceReadonly: number; // devr
}

export const NO_PINS: PinCounts = {
  hostWritable: 0,
  hostReadonly: 0,
  deviceWritable: 0,
  deviceReadonly: 0,
};

/** map_grant_ref L1006-1011: device_map adds devr/devw, host_map hstr/hstw (readonly picks r/w).
 * Also what unmap_common_complete subtracts for the kinds in `done`. */
export function pinIncrement(mapFlags: number): PinCounts {
  const ro = (mapFlags & GNTMAP_readonly) !== 0;
  const host = (mapFlags & GNTMAP_host_map) !== 0 ? 1 : 0;
  const device = (mapFlags & GNTMAP_device_map) !== 0 ? 1 : 0;
  return {
    hostWritable: ro ? 0 : host,
    hostReadonly: ro ? host : 0,
    deviceWritable: ro ? 0 : device,
    deviceReadonly: ro ? device : 0,
  };
}

export function totalPins(p: PinCounts): number {
  return p.hostWritable + p.hostReadonly + p.deviceWritable + p.deviceReadonly;
}

/** hstw + devw: the pins that keep GTF_writing set. */
export function writablePins(p: PinCounts): number {
  return p.hostWritable + p.deviceWritable;
}

/** GNTPIN_incr2oflow_mask: refused when a counter about to be incremented is already at 128
 * (its top bit), not 255; counters not being incremented are not tested (8cec5d065c). */
export function wouldOverflow(p: PinCounts, inc: PinCounts): boolean {
  return (
    (inc.hostWritable > 0 && p.hostWritable >= GNTPIN_COUNTER_LIMIT) ||
    (inc.hostReadonly > 0 && p.hostReadonly >= GNTPIN_COUNTER_LIMIT) ||
    (inc.deviceWritable > 0 && p.deviceWritable >= GNTPIN_COUNTER_LIMIT) ||
    (inc.deviceReadonly > 0 && p.deviceReadonly >= GNTPIN_COUNTER_LIMIT)
  );
}

export function addPins(p: PinCounts, inc: PinCounts): PinCounts {
  return {
    hostWritable: p.hostWritable + inc.hostWritable,
    hostReadonly: p.hostReadonly + inc.hostReadonly,
    deviceWritable: p.deviceWritable + inc.deviceWritable,
    deviceReadonly: p.deviceReadonly + inc.deviceReadonly,
  };
}

export function subtractPins(p: PinCounts, dec: PinCounts): PinCounts {
  return {
    hostWritable: p.hostWritable - dec.hostWritable,
    hostReadonly: p.hostReadonly - dec.hostReadonly,
    deviceWritable: p.deviceWritable - dec.deviceWritable,
    deviceReadonly: p.deviceReadonly - dec.deviceReadonly,
  };
}

/** Xen's short names, for descriptions: "hstr=1 devw=2" (zero counts omitted). */
export function formatPins(p: PinCounts): string {
  const parts: string[] = [];
  if (p.hostWritable) parts.push(`hstw=${p.hostWritable}`);
  if (p.hostReadonly) parts.push(`hstr=${p.hostReadonly}`);
  if (p.deviceWritable) parts.push(`devw=${p.deviceWritable}`);
  if (p.deviceReadonly) parts.push(`devr=${p.deviceReadonly}`);
  return parts.length === 0 ? 'pin=0' : parts.join(' ');
}
