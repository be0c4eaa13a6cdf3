// What a fault is: a named, documented variant of the impl that re-creates one real bug by
// replacing ONE of its parts (src/impl/parts.ts). Off unless selected; costs nothing when off.

import type { GrantConfig } from '../config.ts';
import type { GuestProfile } from '../configDefaults.ts';
import type { LibraryProfile } from '../model/state.ts';
import type { ImplParts } from '../impl/index.ts';
import type { DomId, Op, OpKind } from '../ops/op.ts';
import type { XenExtras } from '../xenExplore/index.ts';
import { IMPL_SUBJECT, implSubject } from '../subject/impl.ts';
import type { SubjectFactory } from '../subject/subject.ts';

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
  /** What the explorer column searches (src/faults/explore.ts). */
  readonly search: FaultSearch;
  /** For a bug only a race reveals: what `grantcheck interleave` runs to catch it. */
  readonly race?: RaceSearch;
  /** For a bug in a real guest library (issue 14): the profile its runs give domains 1.. (the
   * suites' config with faultConfig); the Xen-level explorer does not search it. */
  readonly profile?: LibraryProfile;
  /** For a bug only one suite's ops reach (a backend driver's: issue 14 §3): that suite, which
   * its random runs use instead of the general ones; the Xen-level explorer does not search it. */
  readonly suite?: string;
}

/** The config a fault's random runs use: `base`, with the fault's guest profile on every
 * domain but the control domain. */
export function faultConfig(fault: Fault | undefined, base: GrantConfig): GrantConfig {
  if (fault?.profile === undefined) return base;
  return withProfile(base, fault.profile);
}

/** `base` with `profile` on domains 1.. (domain 0, the control domain, stays strict). */
export function withProfile(base: GrantConfig, profile: GuestProfile): GrantConfig {
  if (profile === 'strict') return base;
  const profiles = Array.from({ length: base.domains }, (_, d) => (d === 0 ? 'strict' : profile));
  return { ...base, profiles };
}

/** A race fault's search (src/interleave): a setup, then actors, each with a fixed program
 * (every schedule of which the exhaustive mode explores) and the op kinds its random programs
 * are drawn from. */
export interface RaceSearch {
  /** What the race needs of the config beyond the default (e.g. two vCPUs per domain). */
  readonly config?: Partial<GrantConfig>;
  readonly setup: readonly Op[];
  readonly actors: readonly RaceActor[];
}

export interface RaceActor {
  readonly dom: DomId;
  /** The actor's vCPU of `dom` (absent: 0). */
  readonly vcpu?: number;
  /** The program of the canonical race, for the exhaustive mode. */
  readonly ops: readonly Op[];
  /** The op kinds random programs for this actor use (all acting for `dom`). */
  readonly kinds: readonly OpKind[];
}

/** The Xen-level explorer's alphabet for one fault: the full alphabet cut to the op kinds the
 * bug needs, plus the extensions (op families the full alphabet lacks) and bounds it needs. */
export interface FaultSearch extends XenExtras {
  readonly kinds: readonly OpKind[];
}

/** The fault as a system under test: the built-in impl with the fault's parts replaced. */
export function faultSubject(fault: Fault): SubjectFactory {
  return implSubject(fault.parts, `impl+${fault.id}`);
}

/** The fault's subject, or the correct built-in impl when there is no fault. */
export function subjectOf(fault: Fault | undefined): SubjectFactory {
  return fault ? faultSubject(fault) : IMPL_SUBJECT;
}
