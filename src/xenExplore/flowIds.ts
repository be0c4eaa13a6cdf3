// Dense ids for the flow ghost (src/model/flow.ts), which no key contains: the explorer keeps a
// stored state's id beside its key (ExplorableModel.aux) and a decoded state gets its ghost back.

import type { FlowGhost } from '../model/flow.ts';

/** Rough V8 costs, for the `bytes` estimate: a Map entry, a string's header, an array slot. */
const ENTRY_BYTES = 24 + 16 + 8;

function sortedEntries<V>(m: ReadonlyMap<number, V>): [number, V][] {
  return [...m].sort((a, b) => a[0] - b[0]);
}

/** The ghost's text: equal texts iff equal ghosts (labels and permits, by frame). */
export function flowKey(f: FlowGhost): string {
  let t = '';
  for (const [mfn, labels] of sortedEntries(f.labels)) t += `l${mfn}:${labels.join('.')};`;
  for (const [mfn, bits] of sortedEntries(f.permits)) t += `p${mfn}:${bits};`;
  return t;
}

/** 0 for no ghost, 1.. for the ghosts seen, by text; each id keeps the first ghost of its text. */
export class FlowIds {
  private readonly ids = new Map<string, number>();
  private readonly ghosts: FlowGhost[] = [];
  /** Each id's first ghost, by identity. Why? A decoded state carries its id's first ghost
   * (`flow`), and so do its successors that left the ghost as it was: no text to build. */
  private readonly firstGhosts = new Map<FlowGhost, number>();
  private last: FlowGhost | undefined;
  private lastId = 0;
  bytes = 0;

  id(f: FlowGhost | undefined): number {
    if (f === undefined) return 0;
    // Why remember the last? Siblings mostly share their parent's ghost object.
    if (f === this.last) return this.lastId;
    let id = this.firstGhosts.get(f);
    if (id === undefined) {
      const text = flowKey(f);
      id = this.ids.get(text);
      if (id === undefined) {
        this.ghosts.push(f);
        id = this.ghosts.length;
        this.ids.set(text, id);
        this.firstGhosts.set(f, id);
        this.bytes += 2 * ENTRY_BYTES + text.length;
      }
    }
    this.last = f;
    this.lastId = id;
    return id;
  }

  flow(id: number): FlowGhost | undefined {
    return id === 0 ? undefined : this.ghosts[id - 1];
  }
}
