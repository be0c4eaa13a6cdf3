import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import {
  DOMID_SELF,
  GNTST_bad_domain,
  GNTST_general_error,
  GNTST_permission_denied,
} from '../../../src/xen/abi.ts';
import { Sim } from './helpers.ts';

describe('setup_table', () => {
  it('grows the table to nrFrames, never shrinks, refuses more than max_grant_frames', () => {
    const sim = new Sim(makeConfig({ maxGrantFrames: 4 }));
    const setup = (nrFrames: number) =>
      sim.run({ kind: 'setup_table', caller: 1, dom: DOMID_SELF, nrFrames });
    expect(setup(3)).toEqual({ kind: 'setup_table', status: 0, nrFrames: 3 });
    expect(sim.domain(1).grantTable.nrFrames).toBe(3);
    expect(setup(1)).toEqual({ kind: 'setup_table', status: 0, nrFrames: 3 });
    expect(setup(0)).toEqual({ kind: 'setup_table', status: 0, nrFrames: 3 });
    expect(setup(5)).toEqual({ kind: 'setup_table', status: GNTST_general_error });
    expect(sim.domain(1).grantTable.nrFrames).toBe(3);
  });

  it('another domain needs the control domain: permission_denied, d0 allowed; unknown → bad_domain', () => {
    const sim = new Sim();
    expect(sim.run({ kind: 'setup_table', caller: 1, dom: 2, nrFrames: 2 })).toEqual({
      kind: 'setup_table',
      status: GNTST_permission_denied,
    });
    expect(sim.domain(2).grantTable.nrFrames).toBe(1);
    expect(sim.run({ kind: 'setup_table', caller: 0, dom: 2, nrFrames: 2 })).toEqual({
      kind: 'setup_table',
      status: 0,
      nrFrames: 2,
    });
    expect(sim.domain(2).grantTable.nrFrames).toBe(2);
    expect(sim.run({ kind: 'setup_table', caller: 0, dom: 3, nrFrames: 1 })).toEqual({
      kind: 'setup_table',
      status: GNTST_bad_domain,
    });
  });
});

describe('query_size', () => {
  it('reports nr_grant_frames and max_grant_frames with the same checks', () => {
    const sim = new Sim();
    sim.run({ kind: 'setup_table', caller: 2, dom: 2, nrFrames: 2 });
    expect(sim.run({ kind: 'query_size', caller: 2, dom: DOMID_SELF })).toEqual({
      kind: 'query_size',
      status: 0,
      nrFrames: 2,
      maxNrFrames: 2,
    });
    expect(sim.run({ kind: 'query_size', caller: 0, dom: 1 })).toEqual({
      kind: 'query_size',
      status: 0,
      nrFrames: 1,
      maxNrFrames: 2,
    });
    expect(sim.run({ kind: 'query_size', caller: 1, dom: 0 })).toEqual({
      kind: 'query_size',
      status: GNTST_permission_denied,
    });
    expect(sim.run({ kind: 'query_size', caller: 1, dom: 0x7fef })).toEqual({
      kind: 'query_size',
      status: GNTST_bad_domain,
    });
  });
});
