// The core protocol's invariants, each a predicate over a packed state. Two of them hold by
// construction of the encoding (an owner field names one domain, counts have radix MAXPIN+1);
// they are checked anyway, as the definition lists them and the check costs nothing.

import type { Invariant } from '../explore/model.ts';
import { ACCESS as ACCESS_, FREE as FREE_ } from './layout.ts';
import type { CoreMachine } from './step.ts';

// Why local copies? Bundlers turn imported constants into getter calls in hot loops.
const ACCESS = ACCESS_;
const FREE = FREE_;

export function coreInvariants(m: CoreMachine): Invariant<number>[] {
  const L = m.layout;
  const E = L.entryFields;
  /** Does `ok(entryValue, domain)` hold for every entry? */
  const everyEntry =
    (ok: (e: number, dom: number) => boolean) =>
    (s: number): boolean => {
      const f = m.fieldsOf(s);
      for (let i = 0; i < E; i++) if (!ok(f[i] ?? 0, Math.floor(i / L.refs))) return false;
      return true;
    };
  return [
    {
      name: 'frame-has-one-owner',
      statement: 'every frame has exactly one owner',
      holds: (s) => {
        const f = m.fieldsOf(s);
        for (let fr = 0; fr < L.frames; fr++) {
          const o = f[E + fr] ?? -1;
          if (!(o >= 0 && o < L.domains)) return false;
        }
        return true;
      },
    },
    {
      name: 'readonly-not-write-mapped',
      statement: 'the write-mapping count of a readonly access entry is 0',
      holds: everyEntry(
        (e) => L.kindOf[e] !== ACCESS || L.readonlyOf[e] === 0 || L.writeCountOf[e] === 0,
      ),
    },
    {
      name: 'access-frame-owned-by-granter',
      statement: "every access entry's frame is owned by its granter",
      holds: (s) => {
        const f = m.fieldsOf(s);
        for (let i = 0; i < E; i++) {
          const e = f[i] ?? 0;
          if (L.kindOf[e] === ACCESS && f[E + (L.frameOf[e] ?? 0)] !== Math.floor(i / L.refs)) {
            return false;
          }
        }
        return true;
      },
    },
    {
      name: 'counts-in-range',
      statement: 'every mapping count is in 0..MAXPIN',
      holds: everyEntry(
        (e) => (L.readCountOf[e] ?? 0) <= L.maxPin && (L.writeCountOf[e] ?? 0) <= L.maxPin,
      ),
    },
    {
      name: 'free-entry-unmapped',
      statement: 'no free entry carries mapping counts',
      holds: everyEntry(
        (e) => L.kindOf[e] !== FREE || (L.readCountOf[e] === 0 && L.writeCountOf[e] === 0),
      ),
    },
  ];
}
