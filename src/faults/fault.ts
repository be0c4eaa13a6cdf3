// What a fault is: a named, documented variant of the impl that re-creates one real bug by
// replacing ONE of its parts (src/impl/parts.ts). Off unless selected; costs nothing when off.

import type { ImplParts } from '../impl/index.ts';

export interface Fault {
  /** Stable id, used on the command line and recorded in traces. */
  readonly id: string;
  /** One line: what goes wrong. */
  readonly title: string;
  /** The advisory or commit it comes from. */
  readonly source: string;
  /** How the bug works, in a sentence or two. */
  readonly mechanism: string;
  /** Which check is expected to catch it. */
  readonly caughtBy: string;
  /** The replaced piece(s) of the impl. */
  readonly parts: Partial<ImplParts>;
}
