// The committed trace corpus on real Xen: every trace whose configuration real Xen's dom0 can run
// (one PV domain: XEN_DOM0_CONFIG) is replayed against real Xen booted once, and the model and
// Xen agree at every step, results and entries compared. That includes each fault's
// counterexample (recorded against the fault, it passes on Xen: Xen does not have the fault) and
// the scenarios of test/corpus/record-dom0.ts. The corpus's other traces name more domains than
// this setup has; the file says how many in one line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trace } from '../../src/trace/format.ts';
import { replayTrace } from '../../src/trace/replay.ts';
import { XEN_DOM0_CONFIG } from '../../src/subject/xen/config.ts';
import type { XenSubjectFactory } from '../../src/subject/xen/xenSubject.ts';
import { openXenSubject } from '../../src/subject/xen/xenSubject.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { loadCorpus } from '../support/corpus.ts';
import { sayWhetherXenRuns, XEN_AVAILABLE } from './support.ts';

sayWhetherXenRuns('corpus');

const traces = loadCorpus();
const sameAsXen = (t: Trace) =>
  (Object.keys(XEN_DOM0_CONFIG) as (keyof typeof XEN_DOM0_CONFIG)[]).every(
    (k) => t.config[k] === XEN_DOM0_CONFIG[k],
  ) && Object.keys(t.config).length === Object.keys(XEN_DOM0_CONFIG).length;
const onXen = traces.filter(([, t]) => sameAsXen(t));
const elsewhere = traces.filter(([, t]) => !sameAsXen(t)).length;

describe.skipIf(!XEN_AVAILABLE)('the trace corpus on real Xen', () => {
  let xen: XenSubjectFactory;
  beforeAll(() => {
    xen = openXenSubject();
    if (elsewhere > 0) {
      console.log(
        `[real Xen] ${onXen.length} corpus traces replayed; ${elsewhere} others name more domains than dom0 alone`,
      );
    }
  }, 400_000);
  afterAll(() => xen.close());

  it('holds the dom0 scenarios and fault counterexamples', () => {
    expect(onXen.filter(([f]) => f.startsWith('dom0-pass-')).length).toBeGreaterThanOrEqual(12);
    expect(onXen.filter(([, t]) => t.fault !== null).length).toBeGreaterThanOrEqual(20);
  });

  it.each(onXen)('%s: model and real Xen agree at every step', (_file, trace) => {
    const replay = replayTrace(trace, {
      invariants: INVARIANTS,
      properties: STEP_PROPERTIES,
      subject: xen,
    });
    expect(replay.report.failure?.violation ?? null).toBeNull();
    expect(replay.report.steps).toHaveLength(trace.steps.length);
  });
});
