// The parent's side of a split search (src/explore/relay.ts): the claim table it grows between
// rounds is held beside the old one while the claims are copied, so a growth that would take the
// process past the resident-memory bound is not made: a table only crowded is kept (it takes
// claims to three quarters full), and one that refused claims ends the search at that bound, as
// a worker's visited set does when its own growth would not fit.

import { describe, expect, it } from 'vitest';
import { claimPriority, ClaimTable } from '../../../src/explore/claims.ts';
import type { MemoryStop } from '../../../src/explore/outcome.ts';
import { describeMemoryStop } from '../../../src/explore/outcome.ts';
import type { PartitionStatus } from '../../../src/explore/partition.ts';
import type { RoundReply } from '../../../src/explore/relay.ts';
import { PartitionRelay } from '../../../src/explore/relay.ts';

/** A table past the load at which the relay grows it. */
function crowdedTable(): ClaimTable {
  const table = ClaimTable.create(0);
  for (let f = 1n; !table.crowded; f++)
    table.claim(f * 0x9e3779b97f4a7c15n, claimPriority(1, 0, 0));
  return table;
}

function reply(maxDepth: number, unclaimed = 0): RoundReply {
  const status: PartitionStatus = {
    states: 10,
    transitions: 100,
    storeBytes: 1000,
    heapBytes: 1000,
    maxDepth,
    expanded: 5,
    probeNew: false,
    stop: null,
    unclaimed,
  };
  return { outboxes: [new Float64Array(0), new Float64Array(0)], status };
}

const MIB = 2 ** 20;

describe('PartitionRelay: the claim table grows within the memory bound', () => {
  it('a growth that fits the bound is made and handed to every partition', () => {
    const table = crowdedTable();
    const relay = new PartitionRelay(table, { limitBytes: 100 * MIB, rss: () => 50 * MIB });
    const answers = relay.answer([reply(3), reply(4)]);
    expect(relay.table).not.toBe(table);
    expect(relay.table?.bytes).toBe(table.grownBytes);
    expect(table.grownBytes).toBeGreaterThan(table.bytes);
    for (const a of answers) {
      expect(a.end).toBeNull();
      expect(a.claims).toEqual({ buffers: relay.table?.buffers, again: false });
    }
  });

  it('a table only crowded is kept as it is when a larger one would not fit', () => {
    // Past half full it still takes claims (to three quarters): no growth, no end.
    const table = crowdedTable();
    const rss = 50 * MIB;
    const relay = new PartitionRelay(table, { limitBytes: rss + table.bytes, rss: () => rss });
    const answers = relay.answer([reply(3), reply(4)]);
    expect(relay.table).toBe(table);
    for (const a of answers) {
      expect(a.end).toBeNull();
      expect(a.claims).toBeUndefined();
    }
  });

  it('claims the full table refused end the search when no larger table fits', () => {
    const table = ClaimTable.create(0);
    const rss = 50 * MIB;
    // room for less than the new table, which is twice the old one's bytes
    const limitBytes = rss + table.bytes;
    const relay = new PartitionRelay(table, { limitBytes, rss: () => rss });
    const answers = relay.answer([reply(3, 7), reply(4)]);
    expect(relay.table).toBe(table);
    const memory: MemoryStop = {
      measure: 'rss',
      usedBytes: rss + table.grownBytes,
      limitBytes,
      projected: true,
      growing: 'claim table',
    };
    // every state to the deepest level stored was found and checked
    const end = { kind: 'limit', bound: 'memory', depth: 4, memory };
    for (const a of answers) expect(a).toEqual({ inbox: [], end });
    expect(describeMemoryStop(memory)).toMatch(/as the claim table grows, past the/);
  });

  it('without a bound, or with no growth due, the bound is not asked', () => {
    let asked = 0;
    const rss = () => {
      asked++;
      return 0;
    };
    const quiet = new PartitionRelay(ClaimTable.create(0), { limitBytes: 1, rss });
    expect(quiet.answer([reply(1), reply(1)])[0]?.end).toBeNull();
    expect(asked).toBe(0);
    const unbounded = new PartitionRelay(crowdedTable());
    expect(unbounded.answer([reply(1), reply(1)])[0]?.claims?.buffers).toBeDefined();
  });
});
