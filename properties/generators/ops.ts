// fast-check arbitraries for every op kind. Ids come mostly from small ranges, so that grants,
// maps and transfers meet, and sometimes from boundary values (reserved refs, the end of a
// table frame, 2^32-1, unknown domids, handles beyond the maptrack limit). Map and unmap batches
// sometimes come at the lengths Xen's loops treat apart (properties/generators/batches.ts): map
// bursts past the 128-pin limit or the maptrack table, unmap batches across 32-element chunks.
// Unmaps sometimes split one host+device mapping across two elements of a batch (XSA-218).
// With a PTE-capable subject (OpSpace.pte), maps and unmaps sometimes name a slot by the machine
// address of its PTE (GNTMAP_contains_pte), aligned or not, and unmap_and_replace moves PTEs.

import fc from 'fast-check';
import {
  DEFAULT_GUEST_REFS,
  initialGfn,
  initialMfn,
  L1_PAGETABLE_ENTRIES,
  pteAddress,
  vcpusOf,
} from '../../src/configDefaults.ts';
import type { GrantConfig } from '../../src/config.ts';
import { ALL_OP_KINDS } from '../../src/ops/op.ts';
import type {
  CopyArgs,
  CopyPtr,
  MapGrantRefArgs,
  MapGrantRefOp,
  Op,
  OpKind,
  SwapGrantRefArgs,
  UnmapAndReplaceArgs,
  UnmapGrantRefArgs,
} from '../../src/ops/op.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTMAP_application_map,
  GNTMAP_contains_pte,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
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
import { GNTTAB_UNMAP_BATCH_SIZE } from '../../src/impl/hypervisor/unmapGrantRef.ts';
import { ladder } from './batches.ts';
import { record } from './record.ts';
import { backendOpArbitrary } from './backends.ts';

const U32_MAX = 2 ** 32 - 1;

/** Mostly `common`, sometimes `rare`. */
function mostly<T>(common: fc.Arbitrary<T>, rare: fc.Arbitrary<T>): fc.Arbitrary<T> {
  // Cross shrink: a rare value (2^32-1, an unknown domid) also tries a common one when shrunk;
  // the values generated are the same.
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: common, weight: 9 },
    { arbitrary: rare, weight: 1 },
  );
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
  /** The granter's page its grants name, as an index into its initial pages (so that an
   * unmap's dev_bus_addr names the mapped frame). */
  readonly gfn: number;
  /** How often ops come coherent (see `coherent`): 0 in some runs, dominant in others. */
  readonly coherence: number;
  /** A `death` suite cast made for a teardown scenario (deathFocusArbitrary). */
  readonly death?: true;
}

export function focusArbitrary(config: GrantConfig): fc.Arbitrary<Focus> {
  const dom = fc.integer({ min: 0, max: config.domains - 1 });
  const ref = fc.integer({ min: GNTTAB_NR_RESERVED_ENTRIES, max: GNTTAB_NR_RESERVED_ENTRIES + 3 });
  return record({
    granter: dom,
    grantee: dom,
    refs: fc.uniqueArray(ref, { minLength: 1, maxLength: 2 }),
    hostPage: fc.integer({ min: 1, max: 4 }),
    gfn: fc.integer({ min: 0, max: Math.max(0, config.pagesPerDomain - 1) }),
    coherence: fc.constantFrom(0, 1, 6),
  });
}

/** The cast of a `death` suite run (properties/suites.ts): half the time a focus like any
 * other suite's, half the time one made for domain death. There the granter and the grantee
 * are two distinct guests, neither the control domain (which does the killing), with two refs
 * (one to grant, one to open as a transfer slot) and coherent ops in every run. Why: the
 * teardown bugs need a guest that holds a host mapping of another's grant to be killed (Xen
 * db74dfce16), or a guest with a transfer slot open to be killed while another maps its page
 * and then be sent a page (ef3a722f62); with the control domain or one domain in both roles,
 * one ref or no coherent ops (most runs' casts) neither can happen. The other suites draw
 * focusArbitrary alone, so their seeded streams are unchanged. */
export function deathFocusArbitrary(config: GrantConfig): fc.Arbitrary<Focus> {
  const usual = focusArbitrary(config);
  if (config.domains < 3) return usual; // no two guests besides the control domain
  const guest = fc.integer({ min: 1, max: config.domains - 1 });
  const ref = fc.integer({ min: GNTTAB_NR_RESERVED_ENTRIES, max: GNTTAB_NR_RESERVED_ENTRIES + 3 });
  const cast = record({
    granter: guest,
    grantee: guest,
    refs: fc.uniqueArray(ref, { minLength: 2, maxLength: 2 }),
    hostPage: fc.integer({ min: 1, max: 4 }),
    gfn: fc.integer({ min: 0, max: Math.max(0, config.pagesPerDomain - 1) }),
    coherence: fc.constant(6),
  }).map((f): Focus => ({
    ...f,
    grantee: f.grantee === f.granter ? 1 + (f.granter % (config.domains - 1)) : f.grantee,
    death: true,
  }));
  return fc.oneof(usual, cast);
}

/** The op kinds that set up a teardown scenario: a grant and its mapping (then the mapper
 * killed, or the granter kept a zombie by it) and a transfer slot. A death cast's run has them
 * all, each twice in the list fc.commands draws from, so that they come about twice as often
 * as the kill and most setups are in place before it; and `transfer` (into the slot, once the
 * granter is a zombie) once: more would fill the slot before the kill. */
export const DEATH_SETUP_KINDS: readonly OpKind[] = [
  'grant_access',
  'map_grant_ref',
  'grant_transfer',
];

// Arbitraries are immutable descriptions: one built for a config and the few focus values it
// depends on serves every run with those values. Why: a run draws a new focus, and building its
// generators afresh cost about as much as generating its ops (docs/properties.md, "Where the
// time goes"). Each cache is keyed by what its arbitrary reads, so the values drawn are the same.
// The keys are a trie of maps over the name and the deps themselves, not a string built from
// them: a run's spaces are new, so each asks the cache once per name, and building and hashing
// a fresh key string per ask cost more than the lookups (docs/properties.md, tenth pass).
interface CacheNode {
  arbitrary?: fc.Arbitrary<unknown>;
  readonly next: Map<unknown, CacheNode>;
}
const arbitraryCaches = new WeakMap<
  GrantConfig,
  { readonly plain: CacheNode; readonly pte: CacheNode }
>();

function childOf(node: CacheNode, key: unknown): CacheNode {
  let child = node.next.get(key);
  if (child === undefined) {
    child = { next: new Map() };
    node.next.set(key, child);
  }
  return child;
}

/** The values ops are drawn from, derived from the config and the run's focus. */
export class OpSpace {
  private readonly cache: CacheNode;
  /** This space's generators by name (cached). */
  private readonly mine = new Map<string, fc.Arbitrary<unknown>>();
  /** The focus refs as one key (refsKey). */
  private refsJoined: string | undefined;

  constructor(
    readonly config: GrantConfig,
    readonly focus?: Focus,
    /** Also GNTMAP_contains_pte maps and PTE addresses. false: exactly the ops of a subject
     * without unmap_and_replace (no draw is added, so its runs stay what they were). */
    readonly pte = false,
  ) {
    let caches = arbitraryCaches.get(config);
    if (caches === undefined) {
      caches = { plain: { next: new Map() }, pte: { next: new Map() } };
      arbitraryCaches.set(config, caches);
    }
    this.cache = pte ? caches.pte : caches.plain;
  }

  /** The focus refs as one cache key (undefined without a focus), joined once per space. */
  get refsKey(): string | undefined {
    if (this.focus === undefined) return undefined;
    this.refsJoined ??= this.focus.refs.join(',');
    return this.refsJoined;
  }

  /** The arbitrary `make` builds, built once per config, PTE setting and `deps`: the focus
   * values (or other arguments) `make` reads, all of them. */
  cached<T>(name: string, deps: readonly unknown[], make: () => fc.Arbitrary<T>): fc.Arbitrary<T> {
    // A space's focus and PTE setting are fixed, so a name always has the same deps here: the
    // space's own memo answers again without walking the keys (a run asks for the same few
    // generators dozens of times while its kinds' generators are put together).
    let arbitrary = this.mine.get(name);
    if (arbitrary !== undefined) return arbitrary as fc.Arbitrary<T>;
    let node = childOf(this.cache, name);
    for (const dep of deps) node = childOf(node, dep);
    arbitrary = node.arbitrary ??= make();
    this.mine.set(name, arbitrary);
    return arbitrary as fc.Arbitrary<T>;
  }

  /** Usually the focus value, otherwise `other`. */
  private focused(value: number | undefined, other: fc.Arbitrary<number>): fc.Arbitrary<number> {
    if (value === undefined) return other;
    return fc.oneof({ arbitrary: fc.constant(value), weight: 3 }, { arbitrary: other, weight: 1 });
  }

  /** The domain that grants (and receives transfers): acts on its own table. */
  granter(): fc.Arbitrary<number> {
    return this.cached('granter', [this.focus?.granter], () => {
      return this.focused(this.focus?.granter, this.existingDomain());
    });
  }

  /** The domain that maps (and sends pages): the hypercall caller. */
  grantee(): fc.Arbitrary<number> {
    return this.cached('grantee', [this.focus?.grantee], () => {
      return this.focused(this.focus?.grantee, this.existingDomain());
    });
  }

  /** A domid argument naming the granter: usually it, sometimes any or an unknown id. */
  granterId(): fc.Arbitrary<number> {
    return this.cached('granterId', [this.focus?.granter], () => {
      return this.focused(this.focus?.granter, this.domid());
    });
  }

  /** A domid argument naming the grantee. */
  granteeId(): fc.Arbitrary<number> {
    return this.cached('granteeId', [this.focus?.grantee], () => {
      return this.focused(this.focus?.grantee, this.domid());
    });
  }

  /** A grant ref of the run's focus, or any ref. */
  focusRef(): fc.Arbitrary<number> {
    return this.cached('focusRef', [this.refsKey], () => {
      const refs = this.focus?.refs ?? [];
      if (refs.length === 0) return this.ref();
      return fc.oneof(
        { arbitrary: fc.constantFrom(...refs), weight: 3 },
        { arbitrary: this.ref(), weight: 1 },
      );
    });
  }

  /** An existing domain: the acting domain of every op. */
  existingDomain(): fc.Arbitrary<number> {
    return this.cached('existingDomain', [], () => {
      return fc.integer({ min: 0, max: this.config.domains - 1 });
    });
  }

  /** A domid argument: usually existing, sometimes unknown or DOMID_SELF. */
  domid(): fc.Arbitrary<number> {
    return this.cached('domid', [], () => {
      return mostly(
        this.existingDomain(),
        fc.constantFrom(this.config.domains, DOMID_SELF, 0xffff),
      );
    });
  }

  /** A grant ref: a handful of ordinary refs, sometimes a reserved or boundary one. */
  ref(): fc.Arbitrary<number> {
    return this.cached('ref', [], () => {
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
    });
  }

  /** A gfn: the focus one, populated ones, the first empty slots, sometimes far out. A PV
   * guest names its pages by MFN (config.pv): the same pages, numbered so. */
  gfn(): fc.Arbitrary<number> {
    return this.cached('gfn', [this.focus?.gfn, this.focus?.granter], () => {
      const focus = this.focus;
      const page = this.focused(
        focus?.gfn,
        fc.integer({ min: 0, max: this.config.pagesPerDomain + 1 }),
      );
      return mostly(
        page.map((p) => initialGfn(this.config, focus?.granter ?? 0, p)),
        fc.constantFrom(U32_MAX, 1000),
      );
    });
  }

  /** A linear address for a host mapping: a few page-aligned slots, sometimes 0, beyond the
   * mappable window, or unaligned. */
  hostAddr(): fc.Arbitrary<number> {
    return this.cached('hostAddr', [this.focus?.hostPage, this.focus?.grantee], () => {
      const page = this.focused(this.focus?.hostPage, fc.integer({ min: 1, max: 4 }));
      const linear = mostly(
        page.map((p) => p * PAGE_SIZE),
        fc.constantFrom(0, this.config.hostVaPages * PAGE_SIZE, 2 * PAGE_SIZE + 8, 2 ** 40),
      );
      if (!this.pte) return linear;
      return fc.oneof({ arbitrary: linear, weight: 4 }, { arbitrary: this.pteAddr(), weight: 1 });
    });
  }

  /** The machine address of a PTE (GNTMAP_contains_pte): usually the focus grantee's slot for
   * a window page, sometimes misaligned (XSA-227), another domain's, a slot past the window, a
   * data page or no page at all. */
  pteAddr(): fc.Arbitrary<number> {
    return this.cached('pteAddr', [this.focus?.hostPage, this.focus?.grantee], () => {
      const { config } = this;
      const caller = this.focus?.grantee ?? 0;
      const page = this.focused(this.focus?.hostPage, fc.integer({ min: 1, max: 4 }));
      const lastSlot = L1_PAGETABLE_ENTRIES - 1;
      return fc.oneof(
        { arbitrary: page.map((p) => pteAddress(caller, p)), weight: 6 },
        {
          arbitrary: page.chain((p) =>
            fc.constantFrom(4, 1, 7).map((k) => pteAddress(caller, p) + k),
          ),
          weight: 2,
        },
        {
          arbitrary: fc.oneof(
            page.map((p) => pteAddress((caller + 1) % config.domains, p)),
            fc.constantFrom(
              pteAddress(caller, lastSlot),
              pteAddress(caller, config.hostVaPages),
              initialMfn(config, caller, 0) * PAGE_SIZE,
              8,
            ),
          ),
          weight: 1,
        },
      );
    });
  }

  /** The address a focus mapping is made at: its page, or (PTE-capable) its PTE's address. */
  focusHostAddr(f: Focus): fc.Arbitrary<number> {
    const linear = f.hostPage * PAGE_SIZE;
    if (!this.pte) return fc.constant(linear);
    return fc.constantFrom(linear, linear, pteAddress(f.grantee, f.hostPage));
  }

  /** The machine address of a granter's page, usually the focus grant's (what a device mapping
   * of it reports as dev_bus_addr, while the page has not moved). */
  pageAddr(): fc.Arbitrary<number> {
    return this.cached('pageAddr', [this.focus?.granter, this.focus?.gfn], () => {
      const { pagesPerDomain } = this.config;
      const page = record({
        dom: this.granter(),
        gfn: this.focused(
          this.focus?.gfn,
          fc.integer({ min: 0, max: Math.max(0, pagesPerDomain - 1) }),
        ),
      });
      return page.map(({ dom, gfn }) => initialMfn(this.config, dom, gfn) * PAGE_SIZE);
    });
  }

  /** A dev_bus_addr for unmap: 0 (leave the device mapping) or some page's machine address. */
  devBusAddr(): fc.Arbitrary<number> {
    return this.cached('devBusAddr', [this.focus?.granter, this.focus?.gfn], () => {
      return fc.oneof(
        { arbitrary: fc.constant(0), weight: 4 },
        { arbitrary: this.pageAddr(), weight: 5 },
        { arbitrary: fc.constantFrom(1, PAGE_SIZE + 1, 2 ** 40), weight: 2 },
      );
    });
  }

  /** A maptrack handle: a run's first maps get 0, 1, 2…, so those are the likely live ones. */
  handle(): fc.Arbitrary<number> {
    return this.cached('handle', [], () => {
      return mostly(
        fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 1 }), weight: 3 },
          { arbitrary: fc.integer({ min: 2, max: 5 }), weight: 1 },
        ),
        fc.constantFrom(MAPTRACK_PER_PAGE - 1, MAPTRACK_PER_PAGE, U32_MAX),
      );
    });
  }

  mapFlags(): fc.Arbitrary<number> {
    return this.cached('mapFlags', [], () => {
      const host = GNTMAP_host_map;
      const dev = GNTMAP_device_map;
      const ro = GNTMAP_readonly;
      // host|dev twice: one mapping holding both kinds is what partial unmaps act on
      const flags = mostly(
        fc.constantFrom(host, host | ro, dev, dev | ro, host | dev, host | dev, host | dev | ro),
        fc.constantFrom(0, ro, host | GNTMAP_application_map, 1 << 16),
      );
      if (!this.pte) return flags;
      const pte = GNTMAP_contains_pte;
      return fc.oneof(
        { arbitrary: flags, weight: 4 },
        { arbitrary: fc.constantFrom(host | pte, host | pte | ro, host | dev | pte), weight: 1 },
      );
    });
  }

  /** Entry contents for a hostile raw write: protocol-looking values and odd ones. */
  rawFlags(): fc.Arbitrary<number> {
    return this.cached('rawFlags', [], () => {
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
    });
  }

  /** An offset into a page: the boundaries 0, 1, page-1, page, page+1, or any within. */
  pageOffset(): fc.Arbitrary<number> {
    return this.cached('pageOffset', [], () => {
      return fc.oneof(
        { arbitrary: fc.constantFrom(0, 1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1), weight: 2 },
        { arbitrary: fc.integer({ min: 0, max: PAGE_SIZE }), weight: 1 },
      );
    });
  }

  /** A byte count: the same boundaries (0, 1, page-1, page, page+1), or small ones. */
  pageLength(): fc.Arbitrary<number> {
    return this.cached('pageLength', [], () => {
      return fc.oneof(
        { arbitrary: fc.constantFrom(0, 1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1), weight: 2 },
        { arbitrary: fc.integer({ min: 1, max: 64 }), weight: 1 },
      );
    });
  }

  /** A byte value to store: a few distinct ones (so that overlapping writes show), zero too. */
  byteValue(): fc.Arbitrary<number> {
    return this.cached('byteValue', [], () => {
      return fc.constantFrom(0xab, 0x01, 0xff, 0x00, 0x5a);
    });
  }

  mapArgs(): fc.Arbitrary<MapGrantRefArgs> {
    return this.cached(
      'mapArgs',
      [this.focus?.granter, this.focus?.grantee, this.refsKey, this.focus?.hostPage],
      () => {
        return record({
          dom: this.granterId(),
          ref: this.focusRef(),
          flags: this.mapFlags(),
          hostAddr: this.hostAddr(),
        });
      },
    );
  }
}

/** The values of the focus fields an arbitrary reads, as OpSpace.cached's deps. */
function focusDeps(space: OpSpace, fields: readonly (keyof Focus)[]): readonly unknown[] {
  const focus = space.focus;
  return focus === undefined ? ['-'] : fields.map((f) => focusDep(space, focus, f));
}

/** One focus field as a cache key: the refs joined (OpSpace.refsKey), any other as it is. */
function focusDep(space: OpSpace, focus: Focus, field: keyof Focus): unknown {
  return field === 'refs' ? space.refsKey : focus[field];
}

/** One side of a copy: a grant of the granter (its focus refs), or a gmfn of the caller named
 * DOMID_SELF — sometimes by a numeric domid, which Xen refuses. */
function copySide(space: OpSpace): fc.Arbitrary<{ ptr: CopyPtr; gref: boolean }> {
  return space.cached('copySide', focusDeps(space, ['granter', 'refs', 'gfn']), () => {
    const offset = space.pageOffset();
    return fc.oneof(
      record({ u: space.focusRef(), domid: space.granterId(), offset }).map((ptr) => ({
        ptr,
        gref: true,
      })),
      record({
        u: space.gfn(),
        domid: mostly(fc.constant(DOMID_SELF), space.granterId()),
        offset,
      }).map((ptr) => ({ ptr, gref: false })),
    );
  });
}

/** One element of GNTTABOP_copy: boundary offsets and lengths (0, 1, page-1, page, page+1). */
function copyArgs(space: OpSpace): fc.Arbitrary<CopyArgs> {
  return space.cached('copyArgs', focusDeps(space, ['granter', 'refs', 'gfn']), () => {
    return record({
      source: copySide(space),
      dest: copySide(space),
      len: space.pageLength(),
      extra: mostly(fc.constant(0), fc.constantFrom(1 << 2, 1 << 15)),
    }).map(({ source, dest, len, extra }) => ({
      source: source.ptr,
      dest: dest.ptr,
      len,
      flags: (source.gref ? GNTCOPY_source_gref : 0) | (dest.gref ? GNTCOPY_dest_gref : 0) | extra,
    }));
  });
}

/** A batch that reuses its first element's buffers (Xen's per-batch cache): the same element
 * again, its sides with other offsets, or a gmfn side under the domid of a gref side before. */
function copyReuse(space: OpSpace): fc.Arbitrary<readonly CopyArgs[]> {
  return space.cached('copyReuse', focusDeps(space, ['granter', 'refs', 'gfn']), () => {
    return record({
      first: copyArgs(space),
      again: fc.array(
        record({
          how: fc.constantFrom('same', 'offsets', 'gmfn-same-domid', 'dest-gmfn-same-domid'),
          offset: space.pageOffset(),
          len: space.pageLength(),
          gfn: space.gfn(),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }).map(({ first, again }) => [
      first,
      ...again.map(({ how, offset, len, gfn }): CopyArgs => {
        switch (how) {
          case 'same':
            return first;
          case 'offsets':
            return { ...first, source: { ...first.source, offset }, len };
          case 'gmfn-same-domid':
            return {
              ...first,
              source: { ...first.source, u: gfn },
              flags: first.flags & ~GNTCOPY_source_gref,
            };
          default:
            return {
              ...first,
              dest: { ...first.dest, u: gfn },
              flags: first.flags & ~GNTCOPY_dest_gref,
            };
        }
      }),
    ]);
  });
}

/** A copy of the focus grant by the focus grantee into (or out of) its own page. */
function coherentCopy(space: OpSpace, f: Focus): fc.Arbitrary<CopyArgs> {
  const granted = record({
    u: fc.constantFrom(...f.refs),
    domid: fc.constant(f.granter),
    offset: space.pageOffset(),
  });
  const own = record({
    u: fc
      .integer({ min: 0, max: Math.max(0, space.config.pagesPerDomain - 1) })
      .map((p) => initialGfn(space.config, f.grantee, p)),
    domid: fc.constant(DOMID_SELF),
    offset: space.pageOffset(),
  });
  return record({ granted, own, len: space.pageLength(), into: fc.boolean() }).map(
    ({ granted, own, len, into }) =>
      into
        ? { source: own, dest: granted, len, flags: GNTCOPY_dest_gref }
        : { source: granted, dest: own, len, flags: GNTCOPY_source_gref },
  );
}

/** A burst: one map element repeated to a length from the map ladder (batches.ts): past the
 * 128-pin limit, or alternating host and device read-only maps of one ref until the maptrack
 * table runs out of handles. */
function mapBurst(
  space: OpSpace,
  element?: fc.Arbitrary<MapGrantRefArgs>,
): fc.Arbitrary<readonly MapGrantRefArgs[]> {
  if (element !== undefined) return burstOf(space, element);
  return space.cached(
    'mapBurst',
    focusDeps(space, ['granter', 'grantee', 'refs', 'hostPage']), // space.mapArgs()'s
    () => burstOf(space, space.mapArgs()),
  );
}

function burstOf(
  space: OpSpace,
  element: fc.Arbitrary<MapGrantRefArgs>,
): fc.Arbitrary<readonly MapGrantRefArgs[]> {
  const lengths = ladder('map_grant_ref', space.config);
  return record({
    element,
    // Shrunk: the index walks down the ladder, so a burst that is not needed for a failure
    // shrinks to a single element.
    length: fc.integer({ min: 0, max: lengths.length - 1 }).map((i) => lengths[i] ?? 1),
    alternate: fc.constantFrom(false, true, true), // shrinks towards false
  }).map(({ element, length, alternate }) => {
    // one object per distinct element, shared along the burst (ops are never mutated): a burst
    // is up to MAX_BATCH elements, and a copy of each cost more than drawing the whole op
    // (loops, not Array.from over an array-like: V8's generic path cost more than the draws)
    const batch: MapGrantRefArgs[] = [];
    if (!alternate) {
      for (let i = 0; i < length; i++) batch.push(element);
      return batch;
    }
    const host = { ...element, flags: GNTMAP_host_map | GNTMAP_readonly };
    const device = { ...element, flags: GNTMAP_device_map | GNTMAP_readonly };
    for (let i = 0; i < length; i++) batch.push(i % 2 === 1 ? device : host);
    return batch;
  });
}

function unmapArgs(space: OpSpace): fc.Arbitrary<UnmapGrantRefArgs> {
  return space.cached(
    'unmapArgs',
    focusDeps(space, ['granter', 'grantee', 'hostPage', 'gfn']),
    () => {
      return record({
        handle: space.handle(),
        // the mapping's page, none, or another page (a PTE that does not match: general_error)
        hostAddr: fc.oneof(
          { arbitrary: space.hostAddr(), weight: 3 },
          { arbitrary: fc.constant(0), weight: 1 },
          { arbitrary: fc.integer({ min: 1, max: 4 }).map((p) => p * PAGE_SIZE), weight: 1 },
        ),
        devBusAddr: space.devBusAddr(),
      });
    },
  );
}

/** One handle's host and device parts removed by two elements of one batch, in either order:
 * phase 1 of both runs before phase 2 of either (gnttab_unmap_grant_ref), the pattern XSA-218's
 * double free needs. */
function splitUnmap(space: OpSpace): fc.Arbitrary<readonly UnmapGrantRefArgs[]> {
  return space.cached(
    'splitUnmap',
    focusDeps(space, ['granter', 'grantee', 'hostPage', 'gfn']),
    () => {
      return record({
        handle: space.handle(),
        hostAddr: space.hostAddr(),
        devBusAddr: space.pageAddr(),
        hostFirst: fc.boolean(),
      }).map(({ handle, hostAddr, devBusAddr, hostFirst }) =>
        splitPair(handle, hostAddr, devBusAddr, hostFirst),
      );
    },
  );
}

function splitPair(
  handle: number,
  hostAddr: number,
  devBusAddr: number,
  hostFirst: boolean,
): UnmapGrantRefArgs[] {
  const host = { handle, hostAddr, devBusAddr: 0 };
  const device = { handle, hostAddr: 0, devBusAddr };
  return hostFirst ? [host, device] : [device, host];
}

/** The focus mapping torn down handle by handle, for the handles first..first+n-1 within one
 * 32-element chunk: each split in two (as splitUnmap), or only its host or only its device part
 * (a partial unmap that leaves the other kind's pins, and status bits, to be checked). Which
 * handle a map gets depends on the failed maps before it (each takes the free list's head and
 * puts it back at the tail), so a generator that names one handle rarely names the mapping's. */
function teardown(space: OpSpace, focus: Focus): fc.Arbitrary<readonly UnmapGrantRefArgs[]> {
  const devBusAddr = initialMfn(space.config, focus.granter, focus.gfn) * PAGE_SIZE;
  return record({
    hostAddr: space.focusHostAddr(focus),
    first: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 15 })),
    // often every handle the chunk holds: which one the focus mapping got is not known here
    n: fc.oneof(
      fc.constant(GNTTAB_UNMAP_BATCH_SIZE / 2),
      fc.integer({ min: 1, max: GNTTAB_UNMAP_BATCH_SIZE / 2 }),
    ),
    parts: fc.constantFrom('split', 'split', 'host', 'device'),
    hostFirst: fc.boolean(),
  }).map(({ hostAddr, first, n, parts, hostFirst }) => {
    const batch: UnmapGrantRefArgs[] = [];
    for (let i = 0; i < n; i++) {
      const handle = first + i;
      if (parts === 'host') batch.push({ handle, hostAddr, devBusAddr: 0 });
      else if (parts === 'device') batch.push({ handle, hostAddr: 0, devBusAddr });
      // A mapping with a device part was made at the linear address (coherentMap's PTE maps
      // are host-only): its PTE's address would fail the host part and lose the split.
      else batch.push(...splitPair(handle, focus.hostPage * PAGE_SIZE, devBusAddr, hostFirst));
    }
    return batch;
  });
}

/** A long unmap batch: a few elements repeated to a length from the unmap ladder (across the
 * 32-element chunks of gnttab_unmap_grant_ref), optionally ending in a split pair. */
function unmapRun(space: OpSpace): fc.Arbitrary<readonly UnmapGrantRefArgs[]> {
  return space.cached(
    'unmapRun',
    focusDeps(space, ['granter', 'grantee', 'hostPage', 'gfn']),
    () => {
      const lengths = ladder('unmap_grant_ref', space.config);
      return record({
        first: unmapArgs(space),
        more: fc.array(unmapArgs(space), { maxLength: 2 }),
        length: fc.integer({ min: 0, max: lengths.length - 1 }).map((i) => lengths[i] ?? 1),
        tail: fc.option(splitUnmap(space), { freq: 2 }),
      }).map(({ first, more, length, tail }) => {
        const elements = [first, ...more];
        const end = tail ?? [];
        const batch: UnmapGrantRefArgs[] = [];
        for (let i = 0; i < length - end.length; i++) {
          batch.push(elements[i % elements.length] ?? first);
        }
        for (const e of end) batch.push(e);
        return batch;
      });
    },
  );
}

/** A coherent variant of an op, every role field taken from the focus: the focus grant, a map
 * of it by the focus grantee at the focus page, an unmap of its handle split in two. Field by
 * field the focus wins three times in four, but a map needs five fields to agree with a grant
 * before it, and an unmap three more with the map: without these, a bug on that path (XSA-218)
 * went thousands of runs unseen on some seeds. Weighted against 2 for the free variant by the
 * run's `coherence`, so some runs have none and some are mostly coherent (swarm again). */
function coherent<T>(
  space: OpSpace,
  make: (focus: Focus) => fc.Arbitrary<T> | undefined,
): { arbitrary: fc.Arbitrary<T>; weight: number }[] {
  const focus = space.focus;
  if (focus === undefined || focus.coherence === 0) return [];
  const arbitrary = make(focus);
  return arbitrary === undefined ? [] : [{ arbitrary, weight: focus.coherence }];
}

/** The focus ref a coherent grant or map names: any focus ref, but a death cast's first (its
 * second is the transfer slot, slotRef). For other casts the arbitrary is the one it always
 * was, so the other suites draw the same ops. */
function accessRef(f: Focus): fc.Arbitrary<number> {
  return f.death && f.refs[0] !== undefined ? fc.constant(f.refs[0]) : fc.constantFrom(...f.refs);
}

/** The focus ref a coherent transfer slot or transfer names: a death cast's second. */
function slotRef(f: Focus): fc.Arbitrary<number> {
  return f.death && f.refs[1] !== undefined ? fc.constant(f.refs[1]) : fc.constantFrom(...f.refs);
}

/** A map of the focus grant by the focus grantee at the focus page. */
function coherentMap(space: OpSpace, f: Focus): fc.Arbitrary<MapGrantRefArgs> {
  const map = record({
    dom: fc.constant(f.granter),
    ref: accessRef(f),
    // host|dev|ro maps a read-only grant too
    flags: fc.oneof(
      space.mapFlags(),
      fc.constant(GNTMAP_host_map | GNTMAP_device_map | GNTMAP_readonly),
    ),
    hostAddr: fc.constant(f.hostPage * PAGE_SIZE),
  });
  if (!space.pte) return map;
  // the same mapping named by its PTE's machine address
  const byPte = record({
    dom: fc.constant(f.granter),
    ref: accessRef(f),
    flags: fc
      .constantFrom(GNTMAP_host_map, GNTMAP_host_map | GNTMAP_readonly)
      .map((flags) => flags | GNTMAP_contains_pte),
    // now and then misaligned (XSA-227): the granted, coherent map is the one that would succeed
    hostAddr: fc.constantFrom(0, 0, 0, 4).map((k) => pteAddress(f.grantee, f.hostPage) + k),
  });
  return fc.oneof({ arbitrary: map, weight: 3 }, { arbitrary: byPte, weight: 1 });
}

/** unmap_and_replace elements: a handle, the address it is mapped at (or not), and a new_addr
 * that is 0, another window page (maybe holding another grant PTE), the same page, or none. */
function replaceArgs(
  space: OpSpace,
  hostAddr?: fc.Arbitrary<number>,
): fc.Arbitrary<UnmapAndReplaceArgs> {
  return record({
    handle: space.handle(),
    hostAddr:
      hostAddr ??
      fc.oneof(
        { arbitrary: space.hostAddr(), weight: 3 },
        { arbitrary: fc.constant(0), weight: 1 },
      ),
    newAddr: fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      { arbitrary: fc.integer({ min: 1, max: 4 }).map((p) => p * PAGE_SIZE), weight: 3 },
      { arbitrary: space.hostAddr(), weight: 1 },
    ),
  });
}

/** Map ops on any vCPU of the caller when the config has several (config.vcpus); the one-vCPU
 * arbitrary is left as it is, so that seeds draw the same ops as before. */
function onSomeVcpu(space: OpSpace, ops: fc.Arbitrary<MapGrantRefOp>): fc.Arbitrary<MapGrantRefOp> {
  const vcpus = vcpusOf(space.config);
  if (vcpus === 1) return ops;
  return fc
    .tuple(ops, fc.nat({ max: vcpus - 1 }))
    .map(([op, vcpu]) => (vcpu === 0 ? op : { ...op, vcpu }));
}

/** The focus fields each kind's arbitrary reads (through OpSpace's methods and the helpers
 * above): its cache key. Listing one too many only costs cache hits; one too few would hand a
 * run another focus's generator (test/properties/opCache.test.ts compares with fresh ones).
 * null: not kept whole, only its parts (grants, maps, unmaps, transfers and copies read the
 * whole focus; thousands of them kept cost more in garbage collection than they save). */
const FOCUS_READ: Record<OpKind, readonly (keyof Focus)[] | null> = {
  grant_access: null,
  end_access: ['granter', 'refs'],
  end_transfer: ['granter', 'refs'],
  grant_transfer: null,
  raw_write: ['granter', 'grantee', 'refs', 'gfn'],
  write_page: ['granter', 'grantee', 'gfn'],
  read_page: ['granter', 'grantee', 'gfn'],
  write_mapped: ['grantee', 'hostPage'],
  read_mapped: ['grantee', 'hostPage'],
  map_grant_ref: null,
  unmap_grant_ref: null,
  transfer: null,
  setup_table: [],
  query_size: [],
  unmap_and_replace: ['grantee', 'hostPage', 'coherence'],
  swap_grant_ref: ['granter', 'refs'],
  copy: null,
  destroy_domain: ['granter', 'grantee', 'coherence'],
  alloc_refs: ['granter', 'refs', 'coherence'],
  free_ref: ['granter', 'refs'],
  end_access_deferred: ['granter', 'refs', 'gfn', 'coherence', 'death'],
  tick: ['granter'],
  free_page: ['granter', 'gfn'],
  backend_map: ['granter', 'grantee', 'refs'],
  backend_io: ['grantee'],
  backend_unmap: ['grantee'],
};

/** The focus fields the free (not coherent) variant of each kind FOCUS_READ keeps only in parts
 * reads: its cache key (free). Why: those kinds are built afresh for every run, and their free
 * variants, the bulk of what is built, depend on a few fields only. */
const FREE_READ: Partial<Record<OpKind, readonly (keyof Focus)[]>> = {
  grant_access: ['granter', 'grantee', 'refs', 'gfn'],
  grant_transfer: ['granter', 'grantee', 'refs', 'gfn'],
  map_grant_ref: ['granter', 'grantee', 'refs', 'hostPage'],
  unmap_grant_ref: ['granter', 'grantee', 'hostPage', 'gfn'],
  transfer: ['granter', 'grantee', 'refs', 'gfn'],
  copy: ['granter', 'grantee', 'refs', 'gfn'],
};

// The cache names of each kind's whole arbitrary and its free variant, built once: a string made
// afresh per ask is hashed afresh by every map lookup.
const OP_NAME = Object.fromEntries(ALL_OP_KINDS.map((k) => [k, `op:${k}`])) as Record<
  OpKind,
  string
>;
const FREE_NAME = Object.fromEntries(ALL_OP_KINDS.map((k) => [k, `free:${k}`])) as Record<
  OpKind,
  string
>;

/** The free variant of `kind` (FREE_READ), built once per the focus values it reads. */
function free<T>(space: OpSpace, kind: OpKind, make: () => fc.Arbitrary<T>): fc.Arbitrary<T> {
  const read = FREE_READ[kind];
  if (read === undefined) return make();
  return space.cached(FREE_NAME[kind], focusDeps(space, read), make);
}

/** Every op of `kind` the space draws. */
export function opArbitrary(space: OpSpace, kind: OpKind): fc.Arbitrary<Op> {
  const focus = space.focus;
  const read = FOCUS_READ[kind];
  if (read === null && focus !== undefined) {
    // without coherent ops (coherence 0) such a kind reads only its free variant's fields
    const freeRead = FREE_READ[kind];
    if (focus.coherence !== 0 || freeRead === undefined) return buildOpArbitrary(space, kind);
    const deps = ['c0', ...freeRead.map((f) => focusDep(space, focus, f))];
    return space.cached(OP_NAME[kind], deps, () => buildOpArbitrary(space, kind));
  }
  const deps =
    focus === undefined || read === null ? ['-'] : read.map((f) => focusDep(space, focus, f));
  return space.cached(OP_NAME[kind], deps, () => buildOpArbitrary(space, kind));
}

function buildOpArbitrary(space: OpSpace, kind: OpKind): fc.Arbitrary<Op> {
  const batchOf = <T>(element: fc.Arbitrary<T>) =>
    fc.array(element, { minLength: 1, maxLength: 3 });
  switch (kind) {
    case 'grant_access':
      return fc.oneof(
        {
          arbitrary: free(space, kind, () =>
            record({
              kind: fc.constant(kind),
              dom: space.granter(),
              ref: space.focusRef(),
              grantee: space.granteeId(),
              gfn: space.gfn(),
              readonly: fc.boolean(),
            }),
          ),
          weight: 2,
        },
        ...coherent(space, (f) =>
          record({
            kind: fc.constant(kind),
            dom: fc.constant(f.granter),
            ref: accessRef(f),
            grantee: fc.constant(f.grantee),
            gfn: fc.constant(initialGfn(space.config, f.granter, f.gfn)),
            readonly: fc.boolean(),
          }),
        ),
      );
    case 'end_access':
    case 'end_transfer':
      return record({ kind: fc.constant(kind), dom: space.granter(), ref: space.focusRef() });
    case 'grant_transfer':
      return fc.oneof(
        {
          arbitrary: free(space, kind, () =>
            record({
              kind: fc.constant(kind),
              dom: space.granter(),
              ref: space.focusRef(),
              grantee: space.granteeId(),
              gfn: space.gfn(),
            }),
          ),
          weight: 2,
        },
        // the focus granter offers a focus ref to the focus grantee, for a slot just past its
        // pages: with coherent transfers, a receiver filled to max_pages and one page more
        ...coherent(space, (f) =>
          record({
            kind: fc.constant(kind),
            dom: fc.constant(f.granter),
            ref: slotRef(f),
            grantee: fc.constant(f.grantee),
            gfn: fc
              .integer({ min: 0, max: 1 })
              .map((i) => initialGfn(space.config, f.granter, space.config.pagesPerDomain + i)),
          }),
        ),
      );
    case 'raw_write':
      return record({
        kind: fc.constant(kind),
        dom: space.granter(),
        ref: space.focusRef(),
        flags: space.rawFlags(),
        domid: space.granteeId(),
        frame: space.gfn(),
      });
    case 'write_page':
      return record({
        kind: fc.constant(kind),
        dom: fc.oneof(space.granter(), space.grantee()),
        gfn: space.gfn(),
        off: space.pageOffset(),
        len: space.pageLength(),
        byte: space.byteValue(),
      });
    case 'read_page':
      return record({
        kind: fc.constant(kind),
        dom: fc.oneof(space.granter(), space.grantee()),
        gfn: space.gfn(),
        off: space.pageOffset(),
        len: space.pageLength(),
      });
    case 'write_mapped':
      return record({
        kind: fc.constant(kind),
        dom: space.grantee(),
        hostAddr: space.hostAddr(),
        off: space.pageOffset(),
        len: space.pageLength(),
        byte: space.byteValue(),
      });
    case 'read_mapped':
      return record({
        kind: fc.constant(kind),
        dom: space.grantee(),
        hostAddr: space.hostAddr(),
        off: space.pageOffset(),
        len: space.pageLength(),
      });
    case 'map_grant_ref':
      return onSomeVcpu(
        space,
        fc.oneof(
          {
            arbitrary: free(space, kind, () =>
              record({
                kind: fc.constant(kind),
                caller: space.grantee(),
                batch: fc.oneof(
                  { arbitrary: batchOf(space.mapArgs()), weight: 9 },
                  { arbitrary: mapBurst(space), weight: 1 },
                ),
              }),
            ),
            weight: 2,
          },
          ...coherent(space, (f) =>
            record({
              kind: fc.constant(kind),
              caller: fc.constant(f.grantee),
              batch: fc.oneof(
                { arbitrary: fc.tuple(coherentMap(space, f)), weight: 6 },
                { arbitrary: mapBurst(space, coherentMap(space, f)), weight: 1 },
              ),
            }),
          ),
        ),
      );
    case 'unmap_grant_ref':
      return fc.oneof(
        {
          arbitrary: free(space, kind, () =>
            record({
              kind: fc.constant(kind),
              caller: space.grantee(),
              batch: fc.oneof(
                { arbitrary: batchOf(unmapArgs(space)), weight: 7 },
                { arbitrary: splitUnmap(space), weight: 2 },
                { arbitrary: unmapRun(space), weight: 1 },
              ),
            }),
          ),
          weight: 10,
        },
        // the focus mapping torn down by the domain that holds it
        ...coherent(space, (f) =>
          record({
            kind: fc.constant(kind),
            caller: fc.constant(f.grantee),
            batch: teardown(space, f),
          }),
        ).map((c) => ({ ...c, weight: 2 * c.weight })),
      );
    case 'transfer':
      return fc.oneof(
        {
          arbitrary: free(space, kind, () =>
            record({
              kind: fc.constant(kind),
              caller: space.grantee(),
              batch: batchOf(
                record({ gfn: space.gfn(), domid: space.granterId(), ref: space.focusRef() }),
              ),
            }),
          ),
          weight: 2,
        },
        // one of the focus grantee's own pages into a focus ref of the focus granter
        ...coherent(space, (f) =>
          record({
            kind: fc.constant(kind),
            caller: fc.constant(f.grantee),
            batch: fc.tuple(
              record({
                gfn: fc
                  .integer({ min: 0, max: Math.max(0, space.config.pagesPerDomain - 1) })
                  .map((i) => initialGfn(space.config, f.grantee, i)),
                domid: fc.constant(f.granter),
                ref: slotRef(f),
              }),
            ),
          }),
        ),
      );
    case 'setup_table':
      return record({
        kind: fc.constant(kind),
        caller: space.existingDomain(),
        dom: fc.oneof(space.domid(), fc.constant(DOMID_SELF)),
        nrFrames: fc.integer({ min: 0, max: space.config.maxGrantFrames + 1 }),
      });
    case 'query_size':
      return record({
        kind: fc.constant(kind),
        caller: space.existingDomain(),
        dom: fc.oneof(space.domid(), fc.constant(DOMID_SELF)),
      });
    case 'unmap_and_replace':
      return record({
        kind: fc.constant(kind),
        caller: space.grantee(),
        batch: fc.oneof(
          { arbitrary: batchOf(replaceArgs(space)), weight: 2 },
          ...coherent(space, (f) => fc.tuple(replaceArgs(space, space.focusHostAddr(f)))),
        ),
      });
    case 'swap_grant_ref':
      return record({
        kind: fc.constant(kind),
        caller: space.granter(),
        batch: batchOf(swapArgs(space)),
      });
    case 'copy':
      return fc.oneof(
        {
          arbitrary: free(space, kind, () =>
            record({
              kind: fc.constant(kind),
              caller: space.grantee(),
              batch: fc.oneof(
                { arbitrary: batchOf(copyArgs(space)), weight: 3 },
                { arbitrary: copyReuse(space), weight: 2 },
              ),
            }),
          ),
          weight: 2,
        },
        ...coherent(space, (f) =>
          record({
            kind: fc.constant(kind),
            caller: fc.constant(f.grantee),
            batch: fc.oneof(batchOf(coherentCopy(space, f)), copyReuse(space)),
          }),
        ),
      );
    case 'destroy_domain':
      // The toolstack (the control domain) kills a guest; now and then an unprivileged caller,
      // a domain killing itself, or one already dead (docs/semantics.md §17).
      return fc.oneof(
        {
          arbitrary: record({
            kind: fc.constant(kind),
            caller: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, space.grantee()),
            // the granter (its zombie keeps mapped frames) or the mapper (its mappings released)
            dom: fc.oneof(
              { arbitrary: space.granter(), weight: 3 },
              { arbitrary: space.grantee(), weight: 3 },
              { arbitrary: space.granteeId(), weight: 1 },
            ),
          }),
          weight: 2,
        },
        // the control domain kills the focus mapper (its host mappings of the focus grant are
        // released: db74dfce16) or, twice as often, the focus granter (a zombie while the
        // mapper holds its page, with its transfer slot still open: ef3a722f62, which then
        // needs a transfer after the kill as well)
        ...coherent(space, (f) => {
          const victims = [f.grantee, f.granter, f.granter].filter((d) => d !== 0);
          if (victims.length === 0) return undefined;
          return record({
            kind: fc.constant(kind),
            caller: fc.constant(0),
            dom: fc.constantFrom(...victims),
          });
        }),
      );
    // --- Guest profiles (issue 14): the driver's calls into its library -----------------------
    case 'alloc_refs':
      return fc.oneof(
        {
          arbitrary: record({
            kind: fc.constant(kind),
            dom: space.granter(),
            count: fc.oneof(
              { arbitrary: fc.constant(1), weight: 6 },
              { arbitrary: fc.integer({ min: 2, max: 4 }), weight: 3 },
              { arbitrary: fc.constant(0), weight: 1 },
            ),
          }),
          weight: 2,
        },
        // the focus granter takes refs up to its highest focus ref, so that its driver holds
        // the focus refs (Linux and Mirage hand out 8, 9, … first) and may grant them
        ...coherent(space, (f) =>
          record({
            kind: fc.constant(kind),
            dom: fc.constant(f.granter),
            count: fc.constant(Math.max(...f.refs) - GNTTAB_NR_RESERVED_ENTRIES + 1),
          }),
        ),
      );
    case 'free_ref':
      return record({ kind: fc.constant(kind), dom: space.granter(), ref: profileRef(space) });
    case 'end_access_deferred':
      return fc.oneof(
        {
          arbitrary: fc.oneof(
            record({ kind: fc.constant(kind), dom: space.granter(), ref: profileRef(space) }),
            record({
              kind: fc.constant(kind),
              dom: space.granter(),
              ref: profileRef(space),
              gfn: space.gfn(),
            }),
          ),
          weight: 2,
        },
        // the focus grant ended while the focus grantee may map it (coherent maps): Linux then
        // defers it (gnttab_add_deferred), and tick, the unmap and tick again reclaim it
        ...coherent(space, (f) =>
          fc.oneof(
            record({ kind: fc.constant(kind), dom: fc.constant(f.granter), ref: accessRef(f) }),
            record({
              kind: fc.constant(kind),
              dom: fc.constant(f.granter),
              ref: accessRef(f),
              gfn: fc.constant(initialGfn(space.config, f.granter, f.gfn)),
            }),
          ),
        ),
      );
    case 'tick':
      return record({ kind: fc.constant(kind), dom: space.granter() });
    case 'free_page':
      return record({ kind: fc.constant(kind), dom: space.granter(), gfn: space.gfn() });
    case 'backend_map':
    case 'backend_io':
    case 'backend_unmap':
      return backendOpArbitrary(space, kind);
  }
}

/** A ref a profile driver names: a focus ref, any ref of the library's table (Mini-OS hands
 * out its top refs first), or now and then a reserved or past-the-table one. */
function profileRef(space: OpSpace): fc.Arbitrary<number> {
  return space.cached('profileRef', focusDeps(space, ['refs']), () => {
    const size = space.config.guestRefs ?? DEFAULT_GUEST_REFS;
    return fc.oneof(
      { arbitrary: space.focusRef(), weight: 3 },
      { arbitrary: fc.integer({ min: GNTTAB_NR_RESERVED_ENTRIES, max: size - 1 }), weight: 3 },
      { arbitrary: fc.constantFrom(0, GNTTAB_NR_RESERVED_ENTRIES - 1, size), weight: 1 },
    );
  });
}

/** One swap element on the caller's own table: refs of the focus (granted, mapped, pinned),
 * sometimes the same ref twice, sometimes a reserved or out-of-range one (space.ref()). */
function swapArgs(space: OpSpace): fc.Arbitrary<SwapGrantRefArgs> {
  return space.cached('swapArgs', focusDeps(space, ['refs']), () => {
    return fc.oneof(
      { arbitrary: record({ refA: space.focusRef(), refB: space.focusRef() }), weight: 4 },
      { arbitrary: space.focusRef().map((ref) => ({ refA: ref, refB: ref })), weight: 1 },
    );
  });
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
