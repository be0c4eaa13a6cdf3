// The built-in implementation (src/impl: shared memory, Xen's pins and maptrack, the guest
// library) as a Subject: it reports the whole state through abstract(), saves and restores in
// memory, and lets the invariant catalogue read its internals. A fault is this subject with
// one part replaced.

import type { GrantConfig } from '../config.ts';
import type { CheckMessage, DomainChecks, StateInvariant } from '../harness/invariant.ts';
import type { InvariantSubject } from '../harness/checker.ts';
import { ImplView, ScanIndex } from '../harness/implView.ts';
import { implReads } from '../harness/reads.ts';
import type { ImplParts, ImplSnapshot } from '../impl/index.ts';
import { abstract, GrantSystem, resyncAbstract } from '../impl/index.ts';
import type { DomId } from '../ops/op.ts';
import { ALL_OP_KINDS } from '../ops/op.ts';
import type { Subject, SubjectFactory, SubjectSnapshot } from './subject.ts';
import { STATE_PARTS } from './subject.ts';

/** The impl side of the invariant checks: they read the impl's own structures. */
export class ImplInvariantSubject implements InvariantSubject {
  readonly side = 'impl';
  constructor(private readonly view: ImplView) {}
  check(invariant: StateInvariant): CheckMessage {
    return invariant.onImpl(this.view);
  }
  checkDomain(checks: DomainChecks, id: DomId): CheckMessage {
    const d = this.view.domain(id);
    return d ? checks.onImpl(this.view, d) : null;
  }
}

interface ImplSubjectSnapshot extends SubjectSnapshot {
  readonly impl: ImplSnapshot;
}

/** One GrantSystem as a Subject. */
export class ImplSubject implements Subject {
  readonly system: GrantSystem;
  /** The invariants' scans of this system, kept from step to step (src/harness/implView.ts). */
  private readonly scans = new ScanIndex();
  readonly internals = {
    // rescan: a fresh index, every scan in full (the memo-equivalence tests compare against it)
    view: (rescan?: boolean): InvariantSubject =>
      new ImplInvariantSubject(new ImplView(this.system, rescan ? new ScanIndex() : this.scans)),
    reads: () => implReads(this.system),
  };

  constructor(
    config: GrantConfig,
    parts: Partial<ImplParts> | undefined,
    private readonly name: string,
  ) {
    this.system = new GrantSystem(config, parts);
  }

  apply: Subject['apply'] = (op) => this.system.apply(op);

  state: Subject['state'] = () => abstract(this.system);

  snapshot(): ImplSubjectSnapshot {
    return { subject: this.name, impl: this.system.snapshot() };
  }

  holds(snapshot: SubjectSnapshot): boolean {
    return (
      snapshot.subject === this.name &&
      'impl' in snapshot &&
      this.system.holds((snapshot as ImplSubjectSnapshot).impl)
    );
  }

  restore(snapshot: SubjectSnapshot): void {
    if (snapshot.subject !== this.name || !('impl' in snapshot)) {
      throw new Error(`restore: a snapshot of ${snapshot.subject}, not of ${this.name}`);
    }
    this.system.restore((snapshot as ImplSubjectSnapshot).impl);
    // back at a state abstract() last built (an explorer's undo): patch the next one from it
    resyncAbstract(this.system);
  }
}

/** The built-in impl, or with `parts` replaced (a fault; `name` says which). */
export function implSubject(parts?: Partial<ImplParts>, name = 'impl'): SubjectFactory {
  return {
    name,
    opKinds: ALL_OP_KINDS,
    observes: STATE_PARTS,
    hasInternals: true,
    completeState: true,
    create: (config) => new ImplSubject(config, parts, name),
  };
}

/** The correct built-in impl. */
export const IMPL_SUBJECT: SubjectFactory = implSubject();
