// Records the corpus traces of the real-Xen setup (dom0 alone, PV: XEN_DOM0_CONFIG) into
// test/fixtures/traces/dom0-*.json: hand-written scenarios of the paths real Xen is checked on,
// run against the impl, and every fault's shortest counterexample that this config can show.
// The corpus test replays them against the impl; the real-Xen corpus test replays them against
// real Xen (test/xen/corpus.real.test.ts). Regenerate after a change to the model or the trace
// format:
//
//   npx tsx test/corpus/record-dom0.ts
//
// A committed trace that still shows what it recorded is kept as it is, byte for byte: a
// scenario whose ops and replay are unchanged, a fault's counterexample that still fails against
// its fault and passes without it (re-recorded from the same ops when what they show changed).
// Only a fault with no such trace is searched again: the suites' generators change over time, so
// the same seed finds other counterexamples, and re-recording every fault would rewrite them all.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { initialMfn } from '../../src/configDefaults.ts';
import { attemptSuite, faultTrace } from '../../src/faults/kill.ts';
import type { Fault } from '../../src/faults/index.ts';
import { FAULTS, subjectOf } from '../../src/faults/index.ts';
import { runOps } from '../../src/harness/run.ts';
import { OP_KINDS } from '../../src/ops/op.ts';
import type { MapGrantRefArgs, Op } from '../../src/ops/op.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import type { Trace } from '../../src/trace/format.ts';
import { buildTrace } from '../../src/trace/format.ts';
import { loadTrace, writeTrace } from '../../src/trace/io.ts';
import { replayTrace } from '../../src/trace/replay.ts';
import { TOOL } from '../../src/version.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GTF_permit_access,
  GTF_reading,
  PAGE_SIZE,
  SHGNT_PER_PAGE_V1,
} from '../../src/xen/abi.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { buildSuite } from '../../properties/suites.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'traces');
const config = XEN_DOM0_CONFIG;
const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };
const page = (i: number) => initialMfn(config, 0, i);
const host = GNTMAP_host_map;
const dev = GNTMAP_device_map;
const ro = GNTMAP_readonly;
const MAX_REF = config.maxGrantFrames * SHGNT_PER_PAGE_V1;

const grant = (ref: number, i: number, readonly = false): Op => ({
  kind: 'grant_access',
  dom: 0,
  ref,
  grantee: 0,
  gfn: page(i),
  readonly,
});
const map = (...batch: MapGrantRefArgs[]): Op => ({ kind: 'map_grant_ref', caller: 0, batch });
const el = (ref: number, flags: number, hostPage = 0): MapGrantRefArgs => ({
  dom: 0,
  ref,
  flags,
  hostAddr: hostPage * PAGE_SIZE,
});
const unmap = (...batch: [number, number, number][]): Op => ({
  kind: 'unmap_grant_ref',
  caller: 0,
  batch: batch.map(([handle, hostAddr, devBusAddr]) => ({ handle, hostAddr, devBusAddr })),
});
const end = (ref: number): Op => ({ kind: 'end_access', dom: 0, ref });
const writePage = (i: number, off: number, len: number, byte: number): Op => ({
  kind: 'write_page',
  dom: 0,
  gfn: page(i),
  off,
  len,
  byte,
});
const readPage = (i: number, off: number, len: number): Op => ({
  kind: 'read_page',
  dom: 0,
  gfn: page(i),
  off,
  len,
});
/** A copy side: a ref (`gref`) or a gmfn, of domain `domid`. */
const side = (u: number, domid: number, offset = 0) => ({ u, domid, offset });
const copy = (
  ...batch: [ReturnType<typeof side>, ReturnType<typeof side>, number, number?][]
): Op => ({
  kind: 'copy',
  caller: 0,
  batch: batch.map(([source, dest, len, flags]) => ({ source, dest, len, flags: flags ?? 0 })),
});
const srcGref = GNTCOPY_source_gref;
const destGref = GNTCOPY_dest_gref;
const swap = (...batch: [number, number][]): Op => ({
  kind: 'swap_grant_ref',
  caller: 0,
  batch: batch.map(([refA, refB]) => ({ refA, refB })),
});

/** The scenarios: each a path real Xen answers in its own way. */
const SCENARIOS: Record<string, Op[]> = {
  // a grant mapped host and device, in use until both are unmapped, then ended
  'grant-map-unmap-end': [
    grant(8, 1),
    map(el(8, host | dev, 1)),
    end(8),
    unmap([0, PAGE_SIZE, 0]),
    end(8),
    unmap([0, 0, page(1) * PAGE_SIZE]),
    end(8),
  ],
  // dom0 gives a page to itself; the same frame again in one batch is stolen again and lost
  'self-transfer-twice': [
    { kind: 'grant_transfer', dom: 0, ref: 9, grantee: 0, gfn: page(0) },
    {
      kind: 'transfer',
      caller: 0,
      batch: [
        { gfn: page(1), domid: 0, ref: 9 },
        { gfn: page(1), domid: 0, ref: 9 },
      ],
    },
    { kind: 'end_transfer', dom: 0, ref: 9 },
    { kind: 'transfer', caller: 0, batch: [{ gfn: page(2), domid: DOMID_SELF, ref: 9 }] },
  ],
  // the table grows, never shrinks; a library op beyond the first frame; over the maximum
  'setup-table-growth': [
    { kind: 'query_size', caller: 0, dom: DOMID_SELF },
    { kind: 'setup_table', caller: 0, dom: DOMID_SELF, nrFrames: 3 },
    { kind: 'setup_table', caller: 0, dom: 0, nrFrames: 2 },
    grant(1000, 2),
    map(el(1000, dev)),
    { kind: 'setup_table', caller: 0, dom: DOMID_SELF, nrFrames: config.maxGrantFrames + 1 },
    { kind: 'setup_table', caller: 0, dom: 1, nrFrames: 1 },
    { kind: 'query_size', caller: 0, dom: 7 },
  ],
  // 128 read-only device pins on one ref, and the 129th refused (GNTPIN_COUNTER_LIMIT)
  'pin-counter-limit': [
    grant(8, 0, true),
    map(...Array.from({ length: 129 }, () => el(8, dev | ro))),
  ],
  // 300 mappings at once: the maptrack table takes a second frame
  'maptrack-second-frame': [
    grant(8, 0, true),
    grant(9, 1, true),
    grant(10, 2, true),
    map(...Array.from({ length: 300 }, (_, i) => el(8 + (i % 3), dev | ro))),
    unmap([299, 0, page(2) * PAGE_SIZE], [256, 0, page(1) * PAGE_SIZE]),
  ],
  // host mappings at the window's last page, past it, unaligned, and two at one page
  'host-window': [
    grant(8, 0),
    map(el(8, host, config.hostVaPages - 1), el(8, host, config.hostVaPages)),
    map({ dom: 0, ref: 8, flags: host, hostAddr: 2 * PAGE_SIZE + 8 }),
    map(el(8, host | ro, 3), el(8, host, 3)),
    unmap([0, (config.hostVaPages - 1) * PAGE_SIZE, 0], [1, 2 * PAGE_SIZE, 0]),
  ],
  // hostile raw writes: an entry written with GTF_reading set, a reserved ref
  'raw-writes': [
    {
      kind: 'raw_write',
      dom: 0,
      ref: 8,
      flags: GTF_permit_access | GTF_reading,
      domid: 0,
      frame: page(0),
    },
    map(el(8, dev)),
    end(8),
    { kind: 'raw_write', dom: 0, ref: 0, flags: GTF_permit_access, domid: 0, frame: page(3) },
    map(el(0, dev | ro)),
    { kind: 'raw_write', dom: 0, ref: 9, flags: GTF_permit_access, domid: 0, frame: 1000 },
    map(el(9, dev)),
  ],
  // one handle's host and device parts unmapped by two elements of one batch (XSA-218's shape)
  'split-unmap': [
    grant(8, 1),
    map(el(8, host | dev, 2)),
    unmap([0, 2 * PAGE_SIZE, 0], [0, 0, page(1) * PAGE_SIZE]),
    end(8),
  ],
  // swap_grant_ref: whole entries moved, a reserved ref filled, a pinned ref with itself (okay)
  // and with another (eagain, either side), refs beyond the table (bad_gntref, a == b too; past
  // max_grant_frames, so that a table grown by an earlier trace of the replay does not matter)
  swap: [
    grant(8, 1),
    grant(9, 2, true),
    map(el(8, dev)),
    swap([9, 10], [8, 8], [8, 10], [10, 8], [MAX_REF, 8], [8, MAX_REF], [2 ** 32 - 1, 2 ** 32 - 1]),
    swap([10, 3]),
    map(el(3, dev | ro)),
    unmap([0, 0, page(1) * PAGE_SIZE]),
    swap([8, 9], [3, 3]),
    end(9),
  ],
  // GNTTABOP_copy: bytes moved between dom0's pages by gmfn and through its own grants, and the
  // order of checks real Xen (Debian's 4.17.7+13, with XSA-523) answered with
  copy: [
    writePage(0, 0, 16, 0xcd),
    grant(8, 0),
    grant(9, 1, true),
    // a grant of d0, then a gmfn under the numeric id 0: the DOMID_SELF rule holds per element
    copy(
      [side(8, 0), side(page(1), DOMID_SELF), 8, srcGref],
      [side(page(0), 0), side(page(1), DOMID_SELF, 8), 8],
    ),
    // the same with the destination, and a read-only grant as a destination (general_error)
    copy(
      [side(page(0), DOMID_SELF), side(8, 0, 100), 8, destGref],
      [side(page(0), DOMID_SELF), side(page(2), 0), 8],
    ),
    copy([side(page(0), DOMID_SELF), side(9, 0), 1, destGref]),
    // the rule also when the side's buffer is still valid: gnttab_copy_buf_valid compares a gmfn
    // side with whatever number the buffer holds, here ref 8, so no claim comes between
    copy(
      [side(8, 0), side(page(1), DOMID_SELF, 16), 8, srcGref],
      [side(8, 0), side(page(1), DOMID_SELF, 24), 8],
    ),
    copy(
      [side(page(0), DOMID_SELF), side(8, 0, 300), 8, destGref],
      [side(page(0), DOMID_SELF), side(8, 0, 308), 8],
    ),
    // both domains are looked up first (bad_domain), then per side the rule and the claim, then
    // the bounds (bad_copy_arg)
    copy([side(page(0), 0), side(page(1), 5), 8]),
    copy([side(page(0), 5), side(page(1), DOMID_SELF), 8]),
    copy([side(9, DOMID_SELF), side(page(1), 0), 8]),
    copy([side(page(0), DOMID_SELF, 4095), side(page(1), 0), 8]),
    copy([side(page(0), DOMID_SELF, 4095), side(page(1), DOMID_SELF), 8]),
    copy([side(MAX_REF, 0), side(page(1), DOMID_SELF), 8, srcGref]),
    // len 0 goes through every check (4.17.7 predates a4a790f432)
    copy([side(9, DOMID_SELF), side(page(1), DOMID_SELF), 0]),
    copy([side(page(0), DOMID_SELF, 5000), side(page(1), DOMID_SELF), 0]),
    copy([side(8, 0), side(page(1), DOMID_SELF), 0, srcGref]),
    // within one page, overlapping: Xen's memcpy, forward, 8 bytes at a time then bytes
    writePage(2, 0, 8, 1),
    writePage(2, 8, 8, 2),
    writePage(2, 16, 8, 3),
    copy([side(page(2), DOMID_SELF), side(page(2), DOMID_SELF, 3), 21]),
    copy([side(page(2), DOMID_SELF, 3), side(page(2), DOMID_SELF, 100), 21]),
    readPage(2, 0, 128),
    // through a device-mapped grant: GTF_reading and GTF_writing stay with the mapping
    map(el(8, dev)),
    copy([side(page(3), DOMID_SELF), side(8, 0, 200), 4, destGref]),
    unmap([0, 0, page(0) * PAGE_SIZE]),
    end(8),
    readPage(0, 0, 4096),
    readPage(1, 0, 4096),
  ],
  // the agent's own stores and loads, and through its host mappings
  'page-contents': [
    writePage(0, 0, 4, 9),
    writePage(0, 4090, 10, 1),
    { kind: 'write_page', dom: 0, gfn: 9, off: 0, len: 1, byte: 1 },
    readPage(0, 0, 4096),
    readPage(0, 4096, 1),
    grant(8, 0),
    grant(9, 1, true),
    map(el(8, host, 5), el(9, host | ro, 6)),
    { kind: 'write_mapped', dom: 0, hostAddr: 5 * PAGE_SIZE + 0x123, off: 8, len: 8, byte: 0x42 },
    { kind: 'read_mapped', dom: 0, hostAddr: 5 * PAGE_SIZE, off: 0, len: 16 },
    { kind: 'write_mapped', dom: 0, hostAddr: 5 * PAGE_SIZE, off: 4090, len: 10, byte: 1 },
    { kind: 'write_mapped', dom: 0, hostAddr: 6 * PAGE_SIZE, off: 0, len: 1, byte: 1 },
    { kind: 'read_mapped', dom: 0, hostAddr: 6 * PAGE_SIZE, off: 0, len: 8 },
    { kind: 'read_mapped', dom: 0, hostAddr: 7 * PAGE_SIZE, off: 0, len: 1 },
    { kind: 'read_mapped', dom: 0, hostAddr: config.hostVaPages * PAGE_SIZE, off: 0, len: 1 },
    // a second map at page 5 overwrites the PTE: the read-only mapping of page 1 answers there
    map(el(9, host | ro, 5)),
    { kind: 'write_mapped', dom: 0, hostAddr: 5 * PAGE_SIZE, off: 0, len: 1, byte: 1 },
    writePage(1, 0, 2, 3),
    { kind: 'read_mapped', dom: 0, hostAddr: 5 * PAGE_SIZE, off: 0, len: 8 },
    unmap([1, 6 * PAGE_SIZE, 0], [2, 5 * PAGE_SIZE, 0]),
    { kind: 'read_mapped', dom: 0, hostAddr: 5 * PAGE_SIZE, off: 0, len: 1 },
  ],
  // unmaps naming the wrong page, a handle never given, a stale one
  'unmap-errors': [
    grant(8, 1),
    map(el(8, dev)),
    unmap([0, 0, page(2) * PAGE_SIZE], [0, 0, page(1) * PAGE_SIZE + 1], [5, 0, 0], [0, 0, 0]),
    unmap([0, 0, page(1) * PAGE_SIZE]),
    unmap([0, 0, page(1) * PAGE_SIZE]),
  ],
};

/** The committed trace `file`, if it exists, is valid and was recorded with this config. */
function committed(file: string): Trace | undefined {
  const path = join(dir, file);
  if (!existsSync(path)) return undefined;
  const loaded = loadTrace(path);
  if (!loaded.ok) return undefined;
  return isDeepStrictEqual(loaded.trace.config, config) ? loaded.trace : undefined;
}

// The dom0 files this run keeps or writes; every other dom0 trace goes at the end, so that a
// scenario or fault that no longer applies does not linger.
const recorded = new Set<string>();
const record = (file: string, trace: Trace | undefined, ops: number, how: string) => {
  if (trace !== undefined) writeTrace(join(dir, file), trace);
  recorded.add(file);
  console.log(`${file}: ${ops} ops (${how})`);
};

for (const [name, ops] of Object.entries(SCENARIOS)) {
  const file = `dom0-pass-${name}.json`;
  const old = committed(file);
  if (
    old !== undefined &&
    old.fault === null &&
    old.verdict.kind === 'pass' &&
    isDeepStrictEqual(
      old.steps.map((s) => s.op),
      ops,
    ) &&
    replayTrace(old, checks).matchesRecorded
  ) {
    record(file, undefined, ops.length, 'kept');
    continue;
  }
  const report = runOps(config, ops, checks);
  if (report.failure) throw new Error(`scenario ${name} fails against the impl`);
  const trace = buildTrace({
    tool: TOOL,
    config,
    fault: null,
    origin: { engine: 'manual' },
    report,
  });
  record(file, trace, ops.length, 'recorded');
}

/** A fault's committed counterexample, if it still is one, and whether to write it: kept as it
 * is when it replays as recorded, re-recorded from the same ops when it fails differently (the
 * model or the impl changed what its steps show); undefined when it passes against the fault or
 * fails without it. */
function keptCounterexample(
  fault: Fault,
  file: string,
): { trace: Trace; write: boolean; how: string } | undefined {
  const old = committed(file);
  if (old === undefined || old.fault !== fault.id) return undefined;
  const ops = old.steps.map((s) => s.op);
  if (runOps(config, ops, checks).failure !== null) return undefined;
  const replay = replayTrace(old, { ...checks, subject: subjectOf(fault) });
  if (replay.verdict.kind !== 'violation') return undefined;
  if (replay.matchesRecorded) return { trace: old, write: false, how: 'kept' };
  const trace = buildTrace({
    tool: TOOL,
    config,
    fault: fault.id,
    origin: old.origin,
    report: replay.report,
  });
  return { trace, write: true, how: 're-recorded from its ops' };
}

const suite = buildSuite('conformance', config);
if (!suite) throw new Error('no conformance suite');
// First without the PTE surface (no unmap_and_replace, and so no GNTMAP_contains_pte maps:
// docs/subject-protocol.md), as these counterexamples were first recorded, before the agent
// offered it; a fault only the PTE surface shows is then searched with every op kind. Every
// counterexample replays on real Xen.
const withoutPtes = OP_KINDS.filter((k) => k !== 'unmap_and_replace');
const missed: string[] = [];
for (const fault of FAULTS) {
  const file = `dom0-fault-${fault.id}.json`;
  const kept = keptCounterexample(fault, file);
  if (kept !== undefined) {
    record(file, kept.write ? kept.trace : undefined, kept.trace.steps.length, kept.how);
    continue;
  }
  let attempt = attemptSuite(suite, fault, { seed: 1, runs: 3000, opKinds: withoutPtes });
  if (attempt.kind !== 'caught') {
    attempt = attemptSuite(suite, fault, { seed: 1, runs: 3000, opKinds: OP_KINDS });
  }
  if (attempt.kind !== 'caught') {
    missed.push(fault.id);
    continue;
  }
  record(file, faultTrace(fault, attempt), attempt.shrunk.length, 'found');
}
for (const file of readdirSync(dir)) {
  if (file.startsWith('dom0-') && !recorded.has(file)) {
    rmSync(join(dir, file));
    console.log(`${file}: removed`);
  }
}
console.log(`not shown by dom0 alone: ${missed.join(', ') || 'none'}`);
