// The parent's side of a split search (src/explore/relay.ts): the claim table it grows between
// rounds is held beside the old one while the claims are copied, so a growth that would take the
// process past the resident-memory bound is not made: a table only crowded is kept (it takes
// claims to three quarters full), and one that refused claims ends the search at that bound, as
// a worker's visited set does when its own growth would not fit. And the partition's side: a
// grown table takes room its visited set was left, so it samples memory again.

import { describe, expect, it } from 'vitest';
import { claimPriority, ClaimTable } from '../../../src/explore/claims.ts';
import type { MemoryStop } from '../../../src/explore/outcome.ts';
import { describeMemoryStop } from '../../../src/explore/outcome.ts';
import type { PartitionStatus } from '../../../src/explore/partition.ts';
import type { RoundReply } from '../../../src/explore/relay.ts';
import { PartitionRelay, violationInOneThread } from '../../../src/explore/relay.ts';
import { exploreClaimed } from '../../../src/explore/claimed.ts';
import { latticeModel, notAt } from './lattice.ts';

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

describe("a grown claim table takes the room a partition's visited set was left", () => {
  // One partition of a lattice search split by claims, in this thread, its rounds answered by a
  // relay. The process's resident set is the claim table's bytes and the visited set's (as of
  // the partition's last round), and the clock stands still: memory is sampled only at the
  // search's start and when the partition asks. Whichever grows, table or visited set, the two
  // must end within the bound. Without the partition's sample after a growth, the visited set
  // grows into the room the table took (1.44 MiB against 1.25, 2.99 against 2.5).
  function search(maxMemoryBytes: number) {
    const table = ClaimTable.create(0);
    let storeBytes = 0;
    const rss = (): number => (relay.table?.bytes ?? 0) + storeBytes;
    const relay: PartitionRelay = new PartitionRelay(table, { limitBytes: maxMemoryBytes, rss });
    const outcome = exploreClaimed(
      latticeModel({ dims: 3, size: 80 }),
      {
        maxMemoryBytes,
        clock: () => 0,
        memory: () => ({ rss: rss(), heapUsed: 0, arrayBuffers: 0 }),
      },
      {
        index: 0,
        count: 1,
        exchange(outboxes, status) {
          storeBytes = status.storeBytes;
          const [answer] = relay.answer([{ outboxes, status }]);
          if (answer === undefined) throw new Error('no answer');
          return answer;
        },
      },
      table.buffers,
      64,
    );
    return { outcome, grown: relay.table !== table, tableBytes: relay.table?.bytes ?? 0 };
  }

  it.each([1, 1.25, 1.5, 2, 2.5, 3, 4])(
    'a bound of %f MiB: the table and the visited set end within it',
    (mib) => {
      const maxMemoryBytes = mib * MIB;
      const { outcome, grown, tableBytes } = search(maxMemoryBytes);
      expect(outcome.end).toMatchObject({ kind: 'limit', bound: 'memory' });
      expect(grown).toBe(true);
      expect(outcome.stats.storeBytes + tableBytes).toBeLessThanOrEqual(maxMemoryBytes);
    },
  );
});

describe("a split search's violation, its path found in this thread", () => {
  // (1,1,1) reached by move 4 (inc2) is at depth 3; the split said so, having taken `elapsedMs`.
  const model = () => latticeModel({ dims: 3, size: 4, invariants: [notAt('1,1,1', 4)] });
  const end = {
    kind: 'violation',
    violated: { source: 'invariant', name: 'not-at', statement: '' },
    depth: 3,
  } as const;
  const split = {
    states: 20,
    transitions: 120,
    maxDepth: 3,
    elapsedMs: 1_000,
    statesPerSec: 20,
    peakHeapBytes: 0,
    peakRssBytes: 0,
    storeBytes: 100,
    bytesPerState: 5,
    symmetry: false,
  };

  it('the path, as one thread finds it, on the whole clock', () => {
    const o = violationInOneThread(model(), {}, end, split);
    expect(o).toMatchObject({ kind: 'violation', violated: { name: 'not-at' } });
    if (o.kind !== 'violation') return;
    expect(o.path).toHaveLength(3);
    expect(o.stats.elapsedMs).toBeGreaterThanOrEqual(1_000);
  });

  it('the time bound spent before the path is found: the split reached the level above', () => {
    // One thread would have had the whole budget: the limit is where the split got (every
    // state above the violation's level checked), with its figures, not this search's start.
    const o = violationInOneThread(model(), { timeBudgetMs: 1_000 }, end, split);
    expect(o).toMatchObject({ kind: 'limit', bound: 'time', depth: 2 });
    expect(o.stats).toMatchObject({ states: 20, transitions: 120 });
  });
});
