// The information-flow invariant's shared arithmetic (docs/properties.md, "Information flow"):
// both sides keep, per frame, origin labels (flowLabel: who stored bytes into it, read from
// which frame) and a permit word (permitBit: who may read it, who may write it), and both check
// them here the same way.

import type { CheckMessage } from '../../src/harness/invariant.ts';
import { OWN_BYTES, labelMover, labelOrigin, permitBit } from '../../src/model/flow.ts';

const hex = (mfn: number) => `0x${mfn.toString(16)}`;

/** Frame `mfn`, owned by `owner`, holds bytes stored by the labels' movers: each read its origin
 * frame through a permit of that frame, and stored into this frame as its owner or through a
 * writable permit of it. The first label that breaks this, named. */
export function unpermittedLabel(
  mfn: number,
  owner: number,
  labels: readonly number[],
  permitsOf: (mfn: number) => number,
): CheckMessage {
  for (const label of labels) {
    const origin = labelOrigin(label);
    const mover = labelMover(label);
    if (origin !== OWN_BYTES && (permitsOf(origin) & permitBit(mover, false)) === 0) {
      return `mfn ${hex(mfn)} of d${owner} holds bytes of mfn ${hex(origin)}, which no grant let d${mover} read`;
    }
    if (mover !== owner && (permitsOf(mfn) & permitBit(mover, true)) === 0) {
      return `mfn ${hex(mfn)} of d${owner} holds bytes d${mover} stored, which no grant let d${mover} write there`;
    }
  }
  return null;
}

/** Domain `d`'s grant PTE at linear page `page` names frame `mfn` (owned by `owner`): a frame
 * not its own needs a permit to read it, and to write it if the PTE is writable. */
export function unpermittedMapping(
  d: number,
  page: number,
  mfn: number,
  owner: number | undefined,
  writable: boolean,
  permits: number,
): CheckMessage {
  if (owner === d) return null;
  if ((permits & permitBit(d, false)) === 0) {
    return `d${d} va page ${page} maps mfn ${hex(mfn)}, which no grant let d${d} read`;
  }
  if (writable && (permits & permitBit(d, true)) === 0) {
    return `d${d} va page ${page} maps mfn ${hex(mfn)} writable, which no grant let d${d} write`;
  }
  return null;
}
