// Records the corpus traces of the real-Xen setup (dom0 alone, PV: XEN_DOM0_CONFIG) into
// test/fixtures/traces/dom0-*.json: hand-written scenarios of the paths real Xen is checked on,
// run against the impl, and every fault's shortest counterexample that this config can show.
// The corpus test replays them against the impl; the real-Xen corpus test replays them against
// real Xen (test/xen/corpus.real.test.ts). Regenerate after a change to the model or the trace
// format:
//
//   npx tsx test/corpus/record-dom0.ts
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initialMfn } from '../../src/configDefaults.ts';
import { attemptSuite, faultTrace } from '../../src/faults/kill.ts';
import { FAULTS } from '../../src/faults/index.ts';
import { runOps } from '../../src/harness/run.ts';
import type { MapGrantRefArgs, Op } from '../../src/ops/op.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import { buildTrace } from '../../src/trace/format.ts';
import { writeTrace } from '../../src/trace/io.ts';
import { TOOL } from '../../src/version.ts';
import {
  DOMID_SELF,
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
  // unmaps naming the wrong page, a handle never given, a stale one
  'unmap-errors': [
    grant(8, 1),
    map(el(8, dev)),
    unmap([0, 0, page(2) * PAGE_SIZE], [0, 0, page(1) * PAGE_SIZE + 1], [5, 0, 0], [0, 0, 0]),
    unmap([0, 0, page(1) * PAGE_SIZE]),
    unmap([0, 0, page(1) * PAGE_SIZE]),
  ],
};

// Start from nothing: the old dom0 traces go, so that a scenario or fault that no longer
// applies does not linger.
for (const file of readdirSync(dir)) {
  if (file.startsWith('dom0-')) rmSync(join(dir, file));
}

for (const [name, ops] of Object.entries(SCENARIOS)) {
  const report = runOps(config, ops, checks);
  if (report.failure) throw new Error(`scenario ${name} fails against the impl`);
  const trace = buildTrace({
    tool: TOOL,
    config,
    fault: null,
    origin: { engine: 'manual' },
    report,
  });
  writeTrace(join(dir, `dom0-pass-${name}.json`), trace);
  console.log(`dom0-pass-${name}.json: ${ops.length} ops`);
}

const suite = buildSuite('conformance', config);
if (!suite) throw new Error('no conformance suite');
const missed: string[] = [];
for (const fault of FAULTS) {
  const attempt = attemptSuite(suite, fault, { seed: 1, runs: 3000 });
  if (attempt.kind !== 'caught') {
    missed.push(fault.id);
    continue;
  }
  writeTrace(join(dir, `dom0-fault-${fault.id}.json`), faultTrace(fault, attempt));
  console.log(`dom0-fault-${fault.id}.json: ${attempt.shrunk.length} ops`);
}
console.log(`not shown by dom0 alone (they need a second domain): ${missed.join(', ') || 'none'}`);
