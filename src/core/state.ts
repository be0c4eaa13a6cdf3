// The core protocol's state as readable values (the abstract meaning of a packed state), with
// conversions both ways and a one-line description for reports.

import type { CoreLayout } from './layout.ts';
import { ACCESS, FREE, TRANSFER_DONE, TRANSFER_WAITING } from './layout.ts';

export type CoreEntry =
  | {
      readonly kind: 'free';
      /** Mappings left behind by an entry ended while mapped: only the broken variant. */
      readonly stale?: { readonly read: number; readonly write: number };
    }
  | {
      readonly kind: 'access';
      readonly grantee: number;
      readonly frame: number;
      readonly readonly: boolean;
      readonly readMappings: number;
      readonly writeMappings: number;
    }
  | { readonly kind: 'transfer-waiting'; readonly grantee: number }
  | { readonly kind: 'transfer-done'; readonly frame: number };

export interface CoreState {
  /** entries[d][ref] */
  readonly entries: readonly (readonly CoreEntry[])[];
  /** owner[f]: the domain owning frame f. */
  readonly owner: readonly number[];
}

function entryOf(layout: CoreLayout, code: number): CoreEntry {
  const read = layout.readCountOf[code] ?? 0;
  const write = layout.writeCountOf[code] ?? 0;
  switch (layout.kindOf[code]) {
    case FREE:
      return read === 0 && write === 0
        ? { kind: 'free' }
        : { kind: 'free', stale: { read, write } };
    case ACCESS:
      return {
        kind: 'access',
        grantee: layout.granteeOf[code] ?? -1,
        frame: layout.frameOf[code] ?? -1,
        readonly: layout.readonlyOf[code] === 1,
        readMappings: read,
        writeMappings: write,
      };
    case TRANSFER_WAITING:
      return { kind: 'transfer-waiting', grantee: layout.granteeOf[code] ?? -1 };
    case TRANSFER_DONE:
      return { kind: 'transfer-done', frame: layout.frameOf[code] ?? -1 };
    default:
      throw new RangeError(`core model: no entry value ${code}`);
  }
}

export function decodeCoreState(layout: CoreLayout, s: number): CoreState {
  const fields = new Int32Array(layout.fieldCount);
  layout.decode(s, fields);
  const entries: CoreEntry[][] = [];
  for (let d = 0; d < layout.domains; d++) {
    const row: CoreEntry[] = [];
    for (let r = 0; r < layout.refs; r++) {
      row.push(entryOf(layout, fields[layout.entryIndex(d, r)] ?? 0));
    }
    entries.push(row);
  }
  const owner: number[] = [];
  for (let f = 0; f < layout.frames; f++) owner.push(fields[layout.ownerIndex(f)] ?? 0);
  return { entries, owner };
}

function codeOf(layout: CoreLayout, e: CoreEntry): number {
  switch (e.kind) {
    case 'free':
      return layout.freeCode(e.stale?.read ?? 0, e.stale?.write ?? 0);
    case 'access':
      return layout.accessCode(e.grantee, e.frame, e.readonly, e.readMappings, e.writeMappings);
    case 'transfer-waiting':
      return layout.waitingCode(e.grantee);
    case 'transfer-done':
      return layout.doneCode(e.frame);
    default: {
      const never: never = e;
      return never;
    }
  }
}

export function encodeCoreState(layout: CoreLayout, state: CoreState): number {
  const fields = new Int32Array(layout.fieldCount);
  for (let d = 0; d < layout.domains; d++) {
    for (let r = 0; r < layout.refs; r++) {
      const e = state.entries[d]?.[r];
      if (!e) throw new RangeError(`core model: state has no entry d${d} ref${r}`);
      fields[layout.entryIndex(d, r)] = codeOf(layout, e);
    }
  }
  for (let f = 0; f < layout.frames; f++) fields[layout.ownerIndex(f)] = state.owner[f] ?? 0;
  return layout.encode(fields);
}

function describeEntry(e: CoreEntry): string {
  switch (e.kind) {
    case 'free':
      return e.stale ? `free(stale r${e.stale.read} w${e.stale.write})` : 'free';
    case 'access':
      return (
        `access(g${e.grantee}, f${e.frame}, ${e.readonly ? 'ro' : 'rw'}, ` +
        `r${e.readMappings} w${e.writeMappings})`
      );
    case 'transfer-waiting':
      return `transfer-waiting(g${e.grantee})`;
    case 'transfer-done':
      return `transfer-done(f${e.frame})`;
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** `d0[ref0=free ref1=access(g1, f0, rw, r1 w0)] d1[...] owner[f0=d0 f1=d1]` */
export function describeCoreState(state: CoreState): string {
  const doms = state.entries.map(
    (row, d) => `d${d}[${row.map((e, r) => `ref${r}=${describeEntry(e)}`).join(' ')}]`,
  );
  const owners = state.owner.map((o, f) => `f${f}=d${o}`).join(' ');
  return `${doms.join(' ')} owner[${owners}]`;
}
