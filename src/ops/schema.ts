// Validation of ops that come from outside (trace files, the command line): every field within
// the width of its C type, and the acting domain an existing one. The model and impl may assume
// ops passed this check.

import { z } from 'zod';
import type { GrantConfig } from '../config.ts';
import { vcpusOf } from '../configDefaults.ts';
import type { Op } from './op.ts';
import { actingDomain, BACKEND_MAX_SEGMENTS, BACKEND_REQUESTS, MAX_BATCH } from './op.ts';

const u8 = z.number().int().min(0).max(0xff);
const u16 = z.number().int().min(0).max(0xffff);
const u32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
/** A backend driver's request slot (issue 14 §3). */
const backendRequest = z
  .number()
  .int()
  .min(0)
  .max(BACKEND_REQUESTS - 1);
/** Addresses (host_addr, dev_bus_addr) are u64 in C; traces keep them exact up to 2^53. */
const addr = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const OpSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('grant_access'),
      dom: u16,
      ref: u32,
      grantee: u16,
      gfn: u32,
      readonly: z.boolean(),
    })
    .strict(),
  z.object({ kind: z.literal('end_access'), dom: u16, ref: u32 }).strict(),
  z
    .object({ kind: z.literal('grant_transfer'), dom: u16, ref: u32, grantee: u16, gfn: u32 })
    .strict(),
  z.object({ kind: z.literal('end_transfer'), dom: u16, ref: u32 }).strict(),
  z
    .object({
      kind: z.literal('raw_write'),
      dom: u16,
      ref: u32,
      flags: u16,
      domid: u16,
      frame: u32,
    })
    .strict(),
  z
    .object({ kind: z.literal('write_page'), dom: u16, gfn: u32, off: u32, len: u32, byte: u8 })
    .strict(),
  z.object({ kind: z.literal('read_page'), dom: u16, gfn: u32, off: u32, len: u32 }).strict(),
  z
    .object({
      kind: z.literal('write_mapped'),
      dom: u16,
      hostAddr: addr,
      off: u32,
      len: u32,
      byte: u8,
    })
    .strict(),
  z
    .object({ kind: z.literal('read_mapped'), dom: u16, hostAddr: addr, off: u32, len: u32 })
    .strict(),
  z
    .object({
      kind: z.literal('map_grant_ref'),
      caller: u16,
      vcpu: u16.optional(),
      batch: z
        .array(z.object({ dom: u16, ref: u32, flags: u32, hostAddr: addr }).strict())
        .max(MAX_BATCH),
    })
    .strict(),
  z
    .object({
      kind: z.literal('unmap_grant_ref'),
      caller: u16,
      batch: z
        .array(z.object({ handle: u32, hostAddr: addr, devBusAddr: addr }).strict())
        .max(MAX_BATCH),
    })
    .strict(),
  z
    .object({
      kind: z.literal('transfer'),
      caller: u16,
      batch: z.array(z.object({ gfn: u32, domid: u16, ref: u32 }).strict()).max(MAX_BATCH),
    })
    .strict(),
  z.object({ kind: z.literal('setup_table'), caller: u16, dom: u16, nrFrames: u32 }).strict(),
  z.object({ kind: z.literal('query_size'), caller: u16, dom: u16 }).strict(),
  z
    .object({
      kind: z.literal('unmap_and_replace'),
      caller: u16,
      batch: z
        .array(z.object({ handle: u32, hostAddr: addr, newAddr: addr }).strict())
        .max(MAX_BATCH),
    })
    .strict(),
  z
    .object({
      kind: z.literal('swap_grant_ref'),
      caller: u16,
      batch: z.array(z.object({ refA: u32, refB: u32 }).strict()).max(MAX_BATCH),
    })
    .strict(),
  z
    .object({
      kind: z.literal('copy'),
      caller: u16,
      batch: z
        .array(
          z
            .object({
              source: z.object({ u: u32, domid: u16, offset: u16 }).strict(),
              dest: z.object({ u: u32, domid: u16, offset: u16 }).strict(),
              len: u16,
              flags: u16,
            })
            .strict(),
        )
        .max(MAX_BATCH),
    })
    .strict(),
  z.object({ kind: z.literal('destroy_domain'), caller: u16, dom: u16 }).strict(),
  // Guest profiles (issue 14 §1)
  z.strictObject({ kind: z.literal('alloc_refs'), dom: u16, count: u16 }),
  z.strictObject({ kind: z.literal('free_ref'), dom: u16, ref: u32 }),
  z.strictObject({
    kind: z.literal('end_access_deferred'),
    dom: u16,
    ref: u32,
    gfn: u32.optional(),
  }),
  z.strictObject({ kind: z.literal('tick'), dom: u16 }),
  z.strictObject({ kind: z.literal('free_page'), dom: u16, gfn: u32 }),
  // Backends as actors (issue 14 §3)
  z.strictObject({
    kind: z.literal('backend_map'),
    dom: u16,
    request: backendRequest,
    frontend: u16,
    refs: z.array(u32).min(1).max(BACKEND_MAX_SEGMENTS),
    readonly: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('backend_io'),
    dom: u16,
    request: backendRequest,
    write: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('backend_unmap'),
    dom: u16,
    request: backendRequest,
  }),
]);

// Compile-time check that the schema and the Op union describe the same values.
type SchemaOp = z.infer<typeof OpSchema>;
const _parsedIsOp: (op: SchemaOp) => Op = (op) => op;
const _everyKindParsed: (kind: Op['kind']) => SchemaOp['kind'] = (kind) => kind;
void _parsedIsOp;
void _everyKindParsed;

/** One line naming what is wrong with `op` for this config, or null if it may be run. */
export function opProblem(op: Op, config: GrantConfig): string | null {
  const acting = actingDomain(op);
  if (acting >= config.domains) {
    return `acting domain d${acting} does not exist (the config has ${counted(config.domains, 'domain')})`;
  }
  if (op.kind === 'map_grant_ref' && (op.vcpu ?? 0) >= vcpusOf(config)) {
    return `vCPU v${op.vcpu ?? 0} of d${acting} does not exist (the config has ${counted(vcpusOf(config), 'vCPU')} per domain)`;
  }
  return null;
}

/** "1 domain", "3 domains". */
function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Zod issues as one line naming the offending field path: see src/input/schema.ts. */
export { describeZodError } from '../input/schema.ts';
