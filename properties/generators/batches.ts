// Batch lengths that Xen's hypercall loops treat differently (Xen 4.17 xen/common/grant_table.c),
// as classes: the generators draw lengths at and around each class's bounds, and the suites'
// coverage counts every batch in its class (`map_grant_ref:len=2-128`), so a budget that never
// reaches a class fails.
//
// gnttab_map_grant_ref: `if ( i && hypercall_preempt_check() ) return i;` — no preemption check
//   before the first element, one before each later element, continuation with the rest
//   (do_grant_table_op, hypercall_create_continuation). No chunking: the other bounds are the
//   data's, one ref's pin counter (GNTPIN_incr2oflow_mask: 128) and one vCPU's maptrack table.
// gnttab_unmap_grant_ref: `common[GNTTAB_UNMAP_BATCH_SIZE]`, 32 — phase 1 (unmap_common) of up
//   to 32 elements, one TLB flush, then phase 2 (unmap_common_complete) of those 32, then a
//   preemption check only if elements remain (`if ( count && hypercall_preempt_check() )`).
// GNTTABOP_CONTINUATION_ARG_SHIFT (12) only packs the opaque argument of cache_flush and the
// continuation of map/unmap/copy into `cmd`; it bounds no batch (count is checked `(int)count < 0`).
//
// Hook for copy: gnttab_copy checks preemption before every element but the first, and keeps the
// last source and destination frames in `struct gnttab_copy_buf` across elements (released on a
// failed element), so its classes are 1, 2 (a second element reusing the buffer), and a batch
// whose failed element is followed by another. Add `copy` to BatchKind and a case below.

import type { GrantConfig } from '../../src/config.ts';
import { GNTTAB_UNMAP_BATCH_SIZE } from '../../src/impl/hypervisor/unmapGrantRef.ts';
import type { Op } from '../../src/ops/op.ts';
import { MAX_BATCH } from '../../src/ops/op.ts';
import { GNTPIN_COUNTER_LIMIT, MAPTRACK_PER_PAGE } from '../../src/xen/abi.ts';

/** The hypercalls whose batch lengths are classified. */
export type BatchKind = 'map_grant_ref' | 'unmap_grant_ref';

export const BATCH_KINDS: readonly BatchKind[] = ['map_grant_ref', 'unmap_grant_ref'];

/** Lengths min..max (max undefined: no upper bound), and why Xen treats them apart. */
export interface LengthClass {
  readonly min: number;
  readonly max?: number;
  readonly why: string;
}

/** The most mappings one vCPU can hold: 256 handles per maptrack frame, the last never handed
 * out (get_maptrack_handle keeps the tail). */
export function maptrackCapacity(config: GrantConfig): number {
  return MAPTRACK_PER_PAGE * config.maxMaptrackFrames - 1;
}

/** The classes a batch can reach: those that start within MAX_BATCH (the longest batch a trace or
 * the wire carries). With Xen's default of 1024 maptrack frames, a map batch never outgrows
 * one vCPU's maptrack table. */
export function lengthClasses(kind: BatchKind, config: GrantConfig): readonly LengthClass[] {
  return allLengthClasses(kind, config).filter((c) => c.min <= MAX_BATCH);
}

function allLengthClasses(kind: BatchKind, config: GrantConfig): readonly LengthClass[] {
  switch (kind) {
    case 'map_grant_ref': {
      const cap = maptrackCapacity(config);
      return [
        { min: 1, max: 1, why: 'no preemption check before the first element' },
        {
          min: 2,
          max: GNTPIN_COUNTER_LIMIT,
          why: 'a preemption check before each later element; one ref can take them all',
        },
        {
          min: GNTPIN_COUNTER_LIMIT + 1,
          max: cap,
          why: "longer than one pin counter's range: a repeated element overflows",
        },
        { min: cap + 1, why: "longer than one vCPU's maptrack table: the tail gets no handle" },
      ];
    }
    case 'unmap_grant_ref': {
      const chunk = GNTTAB_UNMAP_BATCH_SIZE;
      return [
        { min: 1, max: 1, why: 'one element: phase 2 right after its phase 1' },
        { min: 2, max: chunk - 1, why: 'one partial chunk: every phase 1 before any phase 2' },
        { min: chunk, max: chunk, why: 'one full chunk, no preemption check after it' },
        {
          min: chunk + 1,
          max: 2 * chunk,
          why: "two chunks: the first's phase 2 runs before the second's phase 1",
        },
        { min: 2 * chunk + 1, why: 'three or more chunks' },
      ];
    }
  }
}

function label(c: LengthClass): string {
  if (c.max === undefined) return `len>=${c.min}`;
  return c.min === c.max ? `len=${c.min}` : `len=${c.min}-${c.max}`;
}

/** Every class label of `kind`, as coverage names it: `map_grant_ref:len=1`, … */
export function lengthLabels(kind: BatchKind, config: GrantConfig): string[] {
  return lengthClasses(kind, config).map((c) => `${kind}:${label(c)}`);
}

/** The class label of a batch of `length` elements. */
export function lengthLabel(kind: BatchKind, config: GrantConfig, length: number): string {
  const c = lengthClasses(kind, config).find(
    (k) => length >= k.min && (k.max === undefined || length <= k.max),
  );
  return c ? `${kind}:${label(c)}` : `${kind}:len=${length}`;
}

/** Lengths to generate: each class's bounds and the lengths just past them, ascending, so that
 * an index into the list shrinks towards 1; none over MAX_BATCH (a class reaching past it is
 * represented by MAX_BATCH). */
export function ladder(kind: BatchKind, config: GrantConfig): readonly number[] {
  // kept per config: every burst and unmap run a run builds asks again
  let byKind = ladders.get(config);
  if (byKind === undefined) {
    byKind = new Map();
    ladders.set(config, byKind);
  }
  let rungs = byKind.get(kind);
  if (rungs === undefined) {
    rungs = buildLadder(kind, config);
    byKind.set(kind, rungs);
  }
  return rungs;
}

const ladders = new WeakMap<GrantConfig, Map<BatchKind, readonly number[]>>();

function buildLadder(kind: BatchKind, config: GrantConfig): readonly number[] {
  const lengths = new Set<number>();
  for (const c of lengthClasses(kind, config)) {
    lengths.add(c.min);
    if (c.max !== undefined) lengths.add(c.max);
    lengths.add((c.max ?? c.min) + 1);
  }
  return [...new Set([...lengths].map((n) => Math.min(n, MAX_BATCH)))].sort((a, b) => a - b);
}

/** The coverage an op adds by its batch length (suites' opCoverage). */
export function batchCoverage(config: GrantConfig): (op: Op) => readonly string[] {
  const labels = new Map<BatchKind, Map<number, string>>(BATCH_KINDS.map((k) => [k, new Map()]));
  const none: readonly string[] = [];
  return (op) => {
    if (op.kind !== 'map_grant_ref' && op.kind !== 'unmap_grant_ref') return none;
    const byLength = labels.get(op.kind);
    const n = op.batch.length;
    let l = byLength?.get(n);
    if (l === undefined) {
      l = lengthLabel(op.kind, config, n);
      byLength?.set(n, l);
    }
    return [l];
  };
}
