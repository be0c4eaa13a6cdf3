// The domain-death faults (docs/semantics.md §17): each caught on a short scenario by the check
// its `caughtBy` names, and by the death suite's random runs on a pinned seed, well within the
// catalogue's budget, shrunk to the scenario's core. All three are in the catalogue
// (test/faults/faults.test.ts and sweep.test.ts catch them with the death suite): its teardown
// casts (deathFocusArbitrary) reach Xen's two teardown fixes on every seed (docs/faults.md).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config.ts';
import { FAULTS, faultSubject } from '../../src/faults/index.ts';
import type { Fault } from '../../src/faults/index.ts';
import { releaseMappingsPutsHostRefs } from '../../src/faults/releaseMappingsPutsHostRefs.ts';
import { teardownFreesMappedFrame } from '../../src/faults/teardownFreesMappedFrame.ts';
import { transferToDyingDomain } from '../../src/faults/transferToDyingDomain.ts';
import { attemptSuite } from '../../src/faults/kill.ts';
import { runOps } from '../../src/harness/run.ts';
import type { Op } from '../../src/ops/op.ts';
import { GNTMAP_host_map } from '../../src/xen/abi.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';
import { buildSuite } from '../../properties/suites.ts';

const config = makeConfig({ domains: 3, pagesPerDomain: 2 });

// d1 grants d2 a page and offers a transfer slot; d2 and d1 each host-map the other's grant;
// the toolstack kills d1 (a zombie: d2 maps its page); d2 transfers a page to the zombie.
const SCENARIO: readonly Op[] = [
  { kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: false },
  { kind: 'grant_transfer', dom: 1, ref: 9, grantee: 2, gfn: 1 },
  {
    kind: 'map_grant_ref',
    caller: 2,
    batch: [{ dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 }],
  },
  { kind: 'grant_access', dom: 2, ref: 8, grantee: 1, gfn: 0, readonly: false },
  {
    kind: 'map_grant_ref',
    caller: 1,
    batch: [{ dom: 2, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 }],
  },
  { kind: 'destroy_domain', caller: 0, dom: 1 },
  { kind: 'transfer', caller: 2, batch: [{ gfn: 1, domid: 1, ref: 9 }] },
];

function failure(fault: Fault | undefined) {
  const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };
  const subject = fault === undefined ? {} : { subject: faultSubject(fault) };
  return runOps(config, SCENARIO, { ...checks, ...subject }).failure;
}

describe('domain-death faults', () => {
  it('the correct impl passes the scenario', () => {
    expect(failure(undefined)).toBeNull();
  });

  it('teardown-frees-mapped-frame (synthetic): the zombie frame d2 maps is freed, caught at the kill', () => {
    expect(FAULTS).toContain(teardownFreesMappedFrame);
    expect(failure(teardownFreesMappedFrame)).toMatchObject({
      step: 5,
      violation: { check: 'state-mismatch' },
    });
  });

  it('release-mappings-puts-host-refs (Xen db74dfce16): d2 page loses a reference at the kill', () => {
    expect(FAULTS).toContain(releaseMappingsPutsHostRefs);
    expect(failure(releaseMappingsPutsHostRefs)).toMatchObject({
      step: 5,
      violation: { check: 'invariant', name: 'page-references', side: 'impl' },
    });
  });

  it('transfer-to-dying-domain (Xen ef3a722f62): the zombie accepts the page', () => {
    expect(FAULTS).toContain(transferToDyingDomain);
    expect(failure(transferToDyingDomain)).toMatchObject({
      step: 6,
      violation: { check: 'result-mismatch' },
    });
  });
});

// The death suite on seed 1 (the kill report's): the run that catches each fault, the check, and
// the shrunk counterexample's length. The power sweep's bar is 400 runs per suite on every seed
// of 1..50 (test/faults/sweep.test.ts); these catch far sooner.
describe('the death suite catches the teardown faults (seed 1)', () => {
  const death = buildSuite('death');
  if (!death) throw new Error('no death suite');
  const cases = [
    // grant, map, kill the mapper: its host mapping's reference put twice
    { fault: releaseMappingsPutsHostRefs, check: 'invariant', shrunk: 3 },
    // slot, grant, map, kill the granter (a zombie: d2 maps its page), transfer into the slot
    { fault: transferToDyingDomain, check: 'result-mismatch', shrunk: 5 },
  ] as const;
  it.each(cases)('$fault.id', ({ fault, check, shrunk }) => {
    const a = attemptSuite(death, fault, { seed: 1 });
    expect(a.kind).toBe('caught');
    if (a.kind !== 'caught') return;
    expect(a.runs).toBeLessThan(100);
    expect(a.violation.check).toBe(check);
    expect(a.shrunk.length).toBeLessThanOrEqual(shrunk);
    expect(a.shrunk.some((op) => op.kind === 'destroy_domain')).toBe(true);
  });
});
