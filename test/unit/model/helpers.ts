// Scenario helpers for the model's unit tests: op builders and a small driver that keeps the
// current state and checks, at every step, that the previous state was not mutated.

import { expect } from 'vitest';
import type { GrantConfig } from '../../../src/config.ts';
import { makeConfig } from '../../../src/config.ts';
import { initialState, stateKey, step } from '../../../src/model/index.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type {
  MapGrantRefArgs,
  MapGrantRefOp,
  Op,
  TransferOp,
  UnmapGrantRefArgs,
  UnmapGrantRefOp,
} from '../../../src/ops/op.ts';
import type {
  MapElementResult,
  MapGrantRefResult,
  OpResult,
  TransferResult,
  UnmapGrantRefResult,
} from '../../../src/ops/result.ts';
import { GNTMAP_device_map, GNTMAP_host_map, GNTMAP_readonly } from '../../../src/xen/abi.ts';

export const HOST = GNTMAP_host_map;
export const DEV = GNTMAP_device_map;
export const RO = GNTMAP_readonly;

export function grant(dom: number, ref: number, grantee: number, gfn: number, ro = false): Op {
  return { kind: 'grant_access', dom, ref, grantee, gfn, readonly: ro };
}
export function mapArgs(dom: number, ref: number, flags: number, hostAddr = 0): MapGrantRefArgs {
  return { dom, ref, flags, hostAddr };
}
export function map(caller: number, ...batch: MapGrantRefArgs[]): MapGrantRefOp {
  return { kind: 'map_grant_ref', caller, batch };
}
export function unmapArgs(handle: number, hostAddr = 0, devBusAddr = 0): UnmapGrantRefArgs {
  return { handle, hostAddr, devBusAddr };
}
export function unmap(caller: number, ...batch: UnmapGrantRefArgs[]): UnmapGrantRefOp {
  return { kind: 'unmap_grant_ref', caller, batch };
}
export function transfer(caller: number, gfn: number, domid: number, ref: number): TransferOp {
  return { kind: 'transfer', caller, batch: [{ gfn, domid, ref }] };
}

/** Drives the model from the initial state of `config`. */
export class Sim {
  state: ModelState;
  constructor(readonly config: GrantConfig = makeConfig()) {
    this.state = initialState(config);
  }

  run(op: Op): OpResult {
    const before = this.state;
    const keyBefore = stateKey(before);
    const { state, result } = step(before, op);
    expect(stateKey(before), 'step must not mutate its input').toBe(keyBefore);
    this.state = state;
    return result;
  }

  /** Run a map op and return its element results. */
  map(op: MapGrantRefOp): readonly MapElementResult[] {
    return (this.run(op) as MapGrantRefResult).results;
  }
  /** Map one element; the status, or the handle when okay. */
  map1(caller: number, args: MapGrantRefArgs): MapElementResult {
    const [r] = this.map(map(caller, args));
    if (r === undefined) throw new Error('no result');
    return r;
  }
  unmap(op: UnmapGrantRefOp): readonly number[] {
    return (this.run(op) as UnmapGrantRefResult).statuses;
  }
  transfer(op: TransferOp): readonly number[] {
    return (this.run(op) as TransferResult).statuses;
  }

  domain(id: number) {
    const d = this.state.domains[id];
    if (d === undefined) throw new Error(`no d${id}`);
    return d;
  }
  entry(dom: number, ref: number) {
    return this.domain(dom).grantTable.entries.get(ref);
  }
  active(dom: number, ref: number) {
    return this.domain(dom).grantTable.active.get(ref);
  }
  maptrack(dom: number) {
    return this.domain(dom).maptrack;
  }
}

/** The handle of a successful map element (fails the test otherwise). */
export function handleOf(r: MapElementResult): number {
  if (!('handle' in r)) throw new Error(`map failed with status ${r.status}`);
  return r.handle;
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
