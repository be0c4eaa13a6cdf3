// The parent's side of a search split across threads by state: at each round's end, every
// partition's status and the keys it found for the others come in, and each partition gets
// back the keys for it, whether the search ends (`decideEnd`) and, for a search split by
// claims, the claim table grown (./claims.ts) while no partition claims. The threads and their
// messages are the caller's (src/cli/workers/explorePartitioned.ts; the tests' own).

import type { ClaimTable } from './claims.ts';
import type { PartitionRound, PartitionStatus } from './partition.ts';
import { decideEnd } from './partition.ts';

/** What one partition sent at a round's end. */
export interface RoundReply {
  readonly outboxes: readonly Float64Array[];
  readonly status: PartitionStatus;
}

export class PartitionRelay {
  /** The claim table of a search split by claims (undefined: by key, src/explore/partition.ts). */
  private claims: ClaimTable | undefined;

  /** `claims`: the table the partitions start with, for a search split by claims. */
  constructor(claims?: ClaimTable) {
    this.claims = claims;
  }

  /** The claim table as it is now (its bytes count with the search's). */
  get table(): ClaimTable | undefined {
    return this.claims;
  }

  /** Every partition's answer to a round, in partition order, from their replies (the same
   * order). */
  answer(replies: readonly RoundReply[]): PartitionRound[] {
    const end = decideEnd(replies.map((r) => r.status));
    let grown: PartitionRound['claims'];
    const table = this.claims;
    if (table && !end) {
      const again = replies.some((r) => (r.status.unclaimed ?? 0) > 0);
      if (again || table.crowded) {
        this.claims = table.grown();
        grown = { buffers: this.claims.buffers, again };
      }
    }
    return replies.map((_, to) => ({
      // Every partition's keys for this one (its own list is empty); none once the search ends.
      inbox: end ? [] : replies.flatMap((from) => from.outboxes[to] ?? []),
      end,
      ...(grown ? { claims: grown } : {}),
    }));
  }
}
