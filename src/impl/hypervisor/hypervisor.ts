// The hypervisor's whole state: the domains, the machine frame table, and the replaceable
// pieces (ImplParts, and their sequential twins) its hypercalls call through. Domain lookup
// mirrors rcu_lock_domain_by_id / rcu_lock_domain_by_any_id, and XSM_TARGET mirrors the dummy
// policy (xsm/dummy.h).

import type { GrantConfig } from '../../config.ts';
import { initialGfn, initialMfn, MFN_BASE, vcpusOf } from '../../configDefaults.ts';
import type { DomId, Gfn, Mfn } from '../../ops/op.ts';
import { DOMID_SELF } from '../../xen/abi.ts';
import { range } from '../arrays.ts';
import type { ImplParts, SequentialParts } from '../parts.ts';
import { sequentialParts } from '../sequential.ts';
import { XenDomain } from './domain.ts';
import { FrameTable, PAGE_BASE_REFS } from './mm.ts';
import type { L1Frame } from './pvMapping.ts';
import { l1Frames } from './pvMapping.ts';

export class Hypervisor {
  readonly domains: readonly XenDomain[];
  readonly frames: FrameTable;
  /** The L1 page-table frames of every domain's host window (fixed; ./pvMapping.ts). */
  readonly l1Frames: ReadonlyMap<Mfn, L1Frame>;
  /** Domains domain_destroy took out of the hash during this hypercall, whose
   * complete_domain_destroy runs at its end (./domainDeath.ts). */
  readonly rcuPending: XenDomain[] = [];
  /** `parts` as the sequential twins call them: each step part's twin (../sequential.ts). */
  readonly sequentialParts: SequentialParts;

  constructor(
    readonly config: GrantConfig,
    readonly parts: ImplParts,
  ) {
    this.sequentialParts = sequentialParts(parts);
    const nrFrames = config.domains * config.pagesPerDomain;
    this.frames = new FrameTable(MFN_BASE, nrFrames);
    // Mapped from range (../arrays.ts), not pushed into a literal: an array literal V8 has
    // pretenured would keep each dropped system's domains, so all of it, for a full collection.
    this.domains = range(config.domains).map((d) => {
      const p2m = new Map<Gfn, Mfn>();
      for (let page = 0; page < config.pagesPerDomain; page++) {
        const mfn = initialMfn(config, d, page);
        p2m.set(initialGfn(config, d, page), mfn);
        this.frames.setOwner(mfn, d);
        this.frames.setRefs(mfn, PAGE_BASE_REFS);
      }
      return new XenDomain(
        d,
        d === 0,
        config.pv === true,
        config.pagesPerDomain + config.maxPagesSlack,
        config.hostVaPages,
        config.maxGrantFrames,
        config.maxMaptrackFrames,
        p2m,
        vcpusOf(config),
      );
    });
    this.l1Frames = l1Frames(config.domains, config.hostVaPages);
  }

  /** An existing domain (the acting one); a missing one is a harness bug. */
  domain(id: DomId): XenDomain {
    const d = this.domains[id];
    if (d === undefined) throw new Error(`no domain d${id}`);
    return d;
  }

  /** rcu_lock_domain_by_id: real ids only (DOMID_SELF is not one), and only while the domain
   * is in the hash (a zombie is; a destroyed domain is not). */
  rcuLockDomainById(domid: DomId): XenDomain | undefined {
    const d = this.domains[domid];
    return d?.destroyed === true ? undefined : d;
  }

  /** rcu_lock_domain_by_any_id: DOMID_SELF means the current domain. */
  rcuLockDomainByAnyId(domid: DomId, current: DomId): XenDomain | undefined {
    return this.rcuLockDomainById(domid === DOMID_SELF ? current : domid);
  }

  /** xsm_default_action(XSM_TARGET, src, target) under the dummy policy: itself, its device
   * model (none here) or the control domain. */
  xsmTarget(src: DomId, target: DomId): boolean {
    return src === target || this.domain(src).privileged;
  }
}
