// fast-check arbitraries for every op kind. Ids come mostly from small ranges, so that grants,
// maps and transfers meet, and sometimes from boundary values (reserved refs, the end of a
// table frame, 2^32-1, unknown domids, handles beyond the maptrack limit). Map batches sometimes
// come as bursts long enough to hit the 128-pin limit or exhaust a one-frame maptrack table.

import fc from 'fast-check';
import { initialMfn } from '../../src/configDefaults.ts';
import type { GrantConfig } from '../../src/config.ts';
import type { MapGrantRefArgs, Op, OpKind } from '../../src/ops/op.ts';
import {
  DOMID_SELF,
  GNTMAP_application_map,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_COUNTER_LIMIT,
  GNTTAB_NR_RESERVED_ENTRIES,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_readonly,
  GTF_reading,
  GTF_sub_page,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_writing,
  MAPTRACK_PER_PAGE,
  PAGE_SIZE,
  SHGNT_PER_PAGE_V1,
} from '../../src/xen/abi.ts';

const U32_MAX = 2 ** 32 - 1;

/** Mostly `common`, sometimes `rare`. */
function mostly<T>(common: fc.Arbitrary<T>, rare: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: common, weight: 9 }, { arbitrary: rare, weight: 1 });
}

/** The cast of one run: which domain grants, which one maps or sends pages, which refs they
 * use. Role-typed fields draw from it most of the time, so that the ops of a run meet (a map
 * names a ref its caller was granted, an unmap names the right address) while different runs
 * pick different casts. */
export interface Focus {
  readonly granter: number;
  readonly grantee: number;
  readonly refs: readonly number[];
  /** The linear page its host mappings go to (so that unmaps name it). */
  readonly hostPage: number;
}

export function focusArbitrary(config: GrantConfig): fc.Arbitrary<Focus> {
  const dom = fc.integer({ min: 0, max: config.domains - 1 });
  const ref = fc.integer({ min: GNTTAB_NR_RESERVED_ENTRIES, max: GNTTAB_NR_RESERVED_ENTRIES + 3 });
  return fc.record({
    granter: dom,
    grantee: dom,
    refs: fc.uniqueArray(ref, { minLength: 1, maxLength: 2 }),
    hostPage: fc.integer({ min: 1, max: 4 }),
  });
}

/** The values ops are drawn from, derived from the config and the run's focus. */
export class OpSpace {
  constructor(
    readonly config: GrantConfig,
    readonly focus?: Focus,
  ) {}

  /** Usually the focus value, otherwise `other`. */
  private focused(value: number | undefined, other: fc.Arbitrary<number>): fc.Arbitrary<number> {
    if (value === undefined) return other;
    return fc.oneof({ arbitrary: fc.constant(value), weight: 3 }, { arbitrary: other, weight: 1 });
  }

  /** The domain that grants (and receives transfers): acts on its own table. */
  granter(): fc.Arbitrary<number> {
    return this.focused(this.focus?.granter, this.existingDomain());
  }

  /** The domain that maps (and sends pages): the hypercall caller. */
  grantee(): fc.Arbitrary<number> {
    return this.focused(this.focus?.grantee, this.existingDomain());
  }

  /** A domid argument naming the granter: usually it, sometimes any or an unknown id. */
  granterId(): fc.Arbitrary<number> {
    return this.focused(this.focus?.granter, this.domid());
  }

  /** A domid argument naming the grantee. */
  granteeId(): fc.Arbitrary<number> {
    return this.focused(this.focus?.grantee, this.domid());
  }

  /** A grant ref of the run's focus, or any ref. */
  focusRef(): fc.Arbitrary<number> {
    const refs = this.focus?.refs ?? [];
    if (refs.length === 0) return this.ref();
    return fc.oneof(
      { arbitrary: fc.constantFrom(...refs), weight: 3 },
      { arbitrary: this.ref(), weight: 1 },
    );
  }

  /** An existing domain: the acting domain of every op. */
  existingDomain(): fc.Arbitrary<number> {
    return fc.integer({ min: 0, max: this.config.domains - 1 });
  }

  /** A domid argument: usually existing, sometimes unknown or DOMID_SELF. */
  domid(): fc.Arbitrary<number> {
    return mostly(this.existingDomain(), fc.constantFrom(this.config.domains, DOMID_SELF, 0xffff));
  }

  /** A grant ref: a handful of ordinary refs, sometimes a reserved or boundary one. */
  ref(): fc.Arbitrary<number> {
    const first = GNTTAB_NR_RESERVED_ENTRIES;
    return mostly(
      fc.integer({ min: first, max: first + 3 }),
      fc.constantFrom(
        0,
        1,
        GNTTAB_NR_RESERVED_ENTRIES - 1,
        SHGNT_PER_PAGE_V1 - 1,
        SHGNT_PER_PAGE_V1,
        SHGNT_PER_PAGE_V1 * this.config.maxGrantFrames - 1,
        SHGNT_PER_PAGE_V1 * this.config.maxGrantFrames,
        U32_MAX,
      ),
    );
  }

  /** A gfn: populated ones, the first empty slots, sometimes far out. */
  gfn(): fc.Arbitrary<number> {
    return mostly(
      fc.integer({ min: 0, max: this.config.pagesPerDomain + 1 }),
      fc.constantFrom(U32_MAX, 1000),
    );
  }

  /** A linear address for a host mapping: a few page-aligned slots, sometimes 0, beyond the
   * mappable window, or unaligned. */
  hostAddr(): fc.Arbitrary<number> {
    const page = this.focused(this.focus?.hostPage, fc.integer({ min: 1, max: 4 }));
    return mostly(
      page.map((p) => p * PAGE_SIZE),
      fc.constantFrom(0, this.config.hostVaPages * PAGE_SIZE, 2 * PAGE_SIZE + 8, 2 ** 40),
    );
  }

  /** A dev_bus_addr for unmap: 0 (leave the device mapping) or some page's machine address. */
  devBusAddr(): fc.Arbitrary<number> {
    const { pagesPerDomain } = this.config;
    const page = fc.record({
      dom: this.granter(),
      gfn: fc.integer({ min: 0, max: Math.max(0, pagesPerDomain - 1) }),
    });
    return fc.oneof(
      { arbitrary: fc.constant(0), weight: 4 },
      {
        arbitrary: page.map(({ dom, gfn }) => initialMfn(this.config, dom, gfn) * PAGE_SIZE),
        weight: 5,
      },
      { arbitrary: fc.constantFrom(1, PAGE_SIZE + 1, 2 ** 40), weight: 2 },
    );
  }

  /** A maptrack handle: a run's first maps get 0, 1, 2…, so those are the likely live ones. */
  handle(): fc.Arbitrary<number> {
    return mostly(
      fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 1 }), weight: 3 },
        { arbitrary: fc.integer({ min: 2, max: 5 }), weight: 1 },
      ),
      fc.constantFrom(MAPTRACK_PER_PAGE - 1, MAPTRACK_PER_PAGE, U32_MAX),
    );
  }

  mapFlags(): fc.Arbitrary<number> {
    const host = GNTMAP_host_map;
    const dev = GNTMAP_device_map;
    const ro = GNTMAP_readonly;
    // host|dev twice: one mapping holding both kinds is what partial unmaps act on
    return mostly(
      fc.constantFrom(host, host | ro, dev, dev | ro, host | dev, host | dev, host | dev | ro),
      fc.constantFrom(0, ro, host | GNTMAP_application_map, 1 << 16),
    );
  }

  /** Entry contents for a hostile raw write: protocol-looking values and odd ones. */
  rawFlags(): fc.Arbitrary<number> {
    return fc.oneof(
      fc.constantFrom(
        0,
        GTF_permit_access,
        GTF_permit_access | GTF_readonly,
        GTF_permit_access | GTF_reading,
        GTF_permit_access | GTF_writing | GTF_reading,
        GTF_permit_access | GTF_sub_page,
        GTF_accept_transfer,
        GTF_accept_transfer | GTF_transfer_committed,
        GTF_accept_transfer | GTF_transfer_committed | GTF_transfer_completed,
        3,
      ),
      fc.integer({ min: 0, max: 0xffff }),
    );
  }

  mapArgs(): fc.Arbitrary<MapGrantRefArgs> {
    return fc.record({
      dom: this.granterId(),
      ref: this.focusRef(),
      flags: this.mapFlags(),
      hostAddr: this.hostAddr(),
    });
  }
}

/** A burst: one map element repeated past the 128-pin limit, or alternating host and device
 * read-only maps of one ref until a one-frame maptrack table runs out of handles. */
const BURST_LENGTHS: readonly number[] = [
  1,
  2,
  4,
  GNTPIN_COUNTER_LIMIT,
  GNTPIN_COUNTER_LIMIT + 1,
  GNTPIN_COUNTER_LIMIT + 2,
  MAPTRACK_PER_PAGE - 1,
  MAPTRACK_PER_PAGE,
  MAPTRACK_PER_PAGE + 1,
  MAPTRACK_PER_PAGE + 2,
  MAPTRACK_PER_PAGE + 3,
];

function mapBurst(space: OpSpace): fc.Arbitrary<readonly MapGrantRefArgs[]> {
  return fc
    .record({
      element: space.mapArgs(),
      // Generated: mostly just past the 128-pin limit or a one-frame maptrack table's 255
      // handles. Shrunk: the index walks down the ladder, so a burst that is not needed for a
      // failure shrinks to a single element.
      length: fc
        .integer({ min: 0, max: BURST_LENGTHS.length - 1 })
        .map((i) => BURST_LENGTHS[i] ?? 1),
      alternate: fc.constantFrom(false, true, true), // shrinks towards false
    })
    .map(({ element, length, alternate }) =>
      Array.from({ length }, (_, i) =>
        alternate && i % 2 === 1
          ? { ...element, flags: GNTMAP_device_map | GNTMAP_readonly }
          : alternate
            ? { ...element, flags: GNTMAP_host_map | GNTMAP_readonly }
            : element,
      ),
    );
}

export function opArbitrary(space: OpSpace, kind: OpKind): fc.Arbitrary<Op> {
  const batchOf = <T>(element: fc.Arbitrary<T>) =>
    fc.array(element, { minLength: 1, maxLength: 3 });
  switch (kind) {
    case 'grant_access':
      return fc.record({
        kind: fc.constant(kind),
        dom: space.granter(),
        ref: space.focusRef(),
        grantee: space.granteeId(),
        gfn: space.gfn(),
        readonly: fc.boolean(),
      });
    case 'end_access':
    case 'end_transfer':
      return fc.record({ kind: fc.constant(kind), dom: space.granter(), ref: space.focusRef() });
    case 'grant_transfer':
      return fc.record({
        kind: fc.constant(kind),
        dom: space.granter(),
        ref: space.focusRef(),
        grantee: space.granteeId(),
        gfn: space.gfn(),
      });
    case 'raw_write':
      return fc.record({
        kind: fc.constant(kind),
        dom: space.granter(),
        ref: space.focusRef(),
        flags: space.rawFlags(),
        domid: space.granteeId(),
        frame: space.gfn(),
      });
    case 'map_grant_ref':
      return fc.record({
        kind: fc.constant(kind),
        caller: space.grantee(),
        batch: fc.oneof(
          { arbitrary: batchOf(space.mapArgs()), weight: 9 },
          { arbitrary: mapBurst(space), weight: 1 },
        ),
      });
    case 'unmap_grant_ref':
      return fc.record({
        kind: fc.constant(kind),
        caller: space.grantee(),
        batch: batchOf(
          fc.record({
            handle: space.handle(),
            // the mapping's page, none, or another page (a PTE that does not match: general_error)
            hostAddr: fc.oneof(
              { arbitrary: space.hostAddr(), weight: 3 },
              { arbitrary: fc.constant(0), weight: 1 },
              { arbitrary: fc.integer({ min: 1, max: 4 }).map((p) => p * PAGE_SIZE), weight: 1 },
            ),
            devBusAddr: space.devBusAddr(),
          }),
        ),
      });
    case 'transfer':
      return fc.record({
        kind: fc.constant(kind),
        caller: space.grantee(),
        batch: batchOf(
          fc.record({ gfn: space.gfn(), domid: space.granterId(), ref: space.focusRef() }),
        ),
      });
    case 'setup_table':
      return fc.record({
        kind: fc.constant(kind),
        caller: space.existingDomain(),
        dom: fc.oneof(space.domid(), fc.constant(DOMID_SELF)),
        nrFrames: fc.integer({ min: 0, max: space.config.maxGrantFrames + 1 }),
      });
    case 'query_size':
      return fc.record({
        kind: fc.constant(kind),
        caller: space.existingDomain(),
        dom: fc.oneof(space.domid(), fc.constant(DOMID_SELF)),
      });
  }
}

/** Swarm testing (Groce et al. 2012): each run enables a random non-empty subset of op kinds.
 * Each kind is in with probability 3/4 rather than 1/2, so that the three-kind interactions
 * most bugs need (grant, map, unmap) still occur in about 4 runs in 10, not 1 in 8. Shrinks
 * towards fewer kinds. */
export function swarmKinds(kinds: readonly OpKind[]): fc.Arbitrary<OpKind[]> {
  return fc
    .tuple(...kinds.map(() => fc.constantFrom(false, true, true, true)))
    .map((enabled) => kinds.filter((_, i) => enabled[i]))
    .filter((enabled) => enabled.length > 0);
}
