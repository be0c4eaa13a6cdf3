// Bench: real Xen under QEMU (`--subject xen`, docs/real-xen.md): the boot (QEMU started to the
// agent's hello) and fully checked ops per second against Xen itself, on a short run of each
// suite over dom0's configuration. On a machine without the packages or the agent: one line.

import { existsSync } from 'node:fs';
import { runSuite } from '../src/harness/random.ts';
import { XEN_DOM0_CONFIG } from '../src/subject/xen/config.ts';
import { defaultAgentSource } from '../src/subject/xen/initramfs.ts';
import { checkXenHost, XEN_APT_COMMAND } from '../src/subject/xen/setup.ts';
import { openXenSubject } from '../src/subject/xen/xenSubject.ts';
import { buildSuite, SUITE_NAMES } from '../properties/suites.ts';

export interface XenBenchRow {
  readonly measure: string;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  /** Resets the agent could not undo: QEMU booted afresh (each ~9 s, within `seconds`). */
  readonly reboots: number;
}

/** The rows, or why the bench did not run. */
export function benchXen(): { rows: XenBenchRow[]; bootSeconds: number } | { skipped: string } {
  const found = checkXenHost();
  if (!found.ok) return { skipped: `${found.missing}; install with: ${XEN_APT_COMMAND}` };
  const agent = defaultAgentSource();
  if (!existsSync(agent)) return { skipped: `no dom0 agent at ${agent}` };
  const xen = openXenSubject();
  try {
    const rows: XenBenchRow[] = [];
    for (const name of SUITE_NAMES) {
      const suite = buildSuite(name, XEN_DOM0_CONFIG);
      if (!suite) continue;
      const rebootsBefore = xen.restarts().length;
      const { stats } = runSuite(suite, { seed: 1124, runs: 30, maxOps: 100, subject: xen });
      const seconds = stats.elapsedMs / 1000;
      rows.push({
        measure: `${name} suite, 30 runs x at most 100 ops`,
        ops: stats.ops,
        seconds: Number(seconds.toFixed(2)),
        opsPerSecond: Math.round(stats.ops / seconds),
        reboots: xen.restarts().length - rebootsBefore,
      });
    }
    return { rows, bootSeconds: xen.bootMs / 1000 };
  } finally {
    xen.close();
  }
}
