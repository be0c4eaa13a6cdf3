// The property suites, as values: which config, which ops, which checks, what budget, and which
// outcomes the budget must reach. `grantcheck run` and the test suite run these.

import { DEFAULT_CONFIG, profileOf } from '../src/configDefaults.ts';
import type { GrantConfig } from '../src/config.ts';
import type { RunPlan, Suite } from '../src/harness/suite.ts';
import {
  actingDomain,
  BACKEND_OP_KINDS,
  MAX_BATCH,
  OP_KINDS,
  PROFILE_OP_KINDS,
} from '../src/ops/op.ts';
import type { Op, OpKind } from '../src/ops/op.ts';
import type { Focus } from './generators/ops.ts';
import type { OpResult } from '../src/ops/result.ts';
import { GNTMAP_contains_pte, GNTST_okay, gntstName } from '../src/xen/abi.ts';
import fc from 'fast-check';
import {
  BATCH_KINDS,
  batchCoverage,
  lengthLabels,
  maptrackCapacity,
} from './generators/batches.ts';
import {
  DEATH_SETUP_KINDS,
  OpSpace,
  deathFocusArbitrary,
  focusArbitrary,
  opArbitrary,
  swarmKinds,
} from './generators/ops.ts';
import { INVARIANTS } from './invariants/index.ts';
import {
  backendDriverOp,
  backendFocusArbitrary,
  frontendScriptArbitrary,
} from './generators/backends.ts';
import { STEP_PROPERTIES } from './invariants/stepProperties.ts';

const guestOutcomes = [
  'grant_access:ok',
  'grant_access:einval',
  'end_access:ended',
  'end_access:in_use',
  'end_access:einval',
  'grant_transfer:ok',
  'grant_transfer:einval',
  'end_transfer:cancelled',
  'end_transfer:completed',
  'end_transfer:einval',
  'write_page:ok',
  'write_page:unbacked',
  'write_page:out_of_page',
  'read_page:ok',
  'read_page:unbacked',
  'read_page:out_of_page',
  'write_mapped:ok',
  'write_mapped:no_mapping',
  'write_mapped:readonly',
  'write_mapped:out_of_page',
  'read_mapped:ok',
  'read_mapped:no_mapping',
  'read_mapped:out_of_page',
];

const allHypercallOutcomes = [
  'map_grant_ref:okay',
  'map_grant_ref:general_error',
  'map_grant_ref:bad_domain',
  'map_grant_ref:bad_gntref',
  'map_grant_ref:bad_page',
  'map_grant_ref:no_space',
  'unmap_grant_ref:okay',
  'unmap_grant_ref:general_error',
  'unmap_grant_ref:bad_handle',
  'unmap_grant_ref:bad_dev_addr',
  'transfer:okay',
  'transfer:general_error',
  'transfer:bad_domain',
  'transfer:bad_page',
  'setup_table:okay',
  'setup_table:general_error',
  'setup_table:bad_domain',
  'setup_table:permission_denied',
  'query_size:okay',
  'query_size:bad_domain',
  'query_size:permission_denied',
  'unmap_and_replace:okay',
  'unmap_and_replace:general_error',
  'unmap_and_replace:bad_handle',
  'swap_grant_ref:okay',
  'swap_grant_ref:bad_gntref',
  'swap_grant_ref:eagain',
  'copy:okay',
  'copy:general_error',
  'copy:bad_domain',
  'copy:bad_gntref',
  'copy:bad_page',
  'copy:permission_denied',
  'copy:bad_copy_arg',
];

/** permission_denied needs an unprivileged caller naming another domain (gnttab_setup_table's
 * xsm_grant_setup and gnttab_query_size's xsm_grant_query_size, both XSM_TARGET): with one
 * domain the only caller is dom0, naming itself. */
const NEEDS_TWO_DOMAINS: ReadonlySet<string> = new Set([
  'setup_table:permission_denied',
  'query_size:permission_denied',
]);

/** The hypercall outcomes `config` can produce. A map's no_space needs the caller's maptrack
 * table full, which one burst (at most MAX_BATCH elements) does only below Xen's default limit:
 * dom0's 1024 frames under real Xen (262,143 handles) are out of a run's reach. */
function hypercallOutcomes(config: GrantConfig): string[] {
  return allHypercallOutcomes.filter(
    (o) =>
      (config.domains >= 2 || !NEEDS_TWO_DOMAINS.has(o)) &&
      (o !== 'map_grant_ref:no_space' || maptrackCapacity(config) < MAX_BATCH),
  );
}

/** Every batch-length class of map and unmap (generators/batches.ts). */
function batchOutcomes(config: GrantConfig): string[] {
  return BATCH_KINDS.flatMap((kind) => lengthLabels(kind, config));
}

/** GNTMAP_contains_pte map elements, counted apart by status: the x86 PV PTE path
 * (create_grant_pv_mapping with GNTMAP_contains_pte, xen/arch/x86/pv/grant_table.c) has its own
 * checks, so `map_grant_ref:okay` alone does not show that it was reached. */
const PTE_OUTCOMES = ['map_grant_ref+pte:okay', 'map_grant_ref+pte:general_error'];

/** The coverage an op adds by its shape: its batch-length class, the statuses of its
 * GNTMAP_contains_pte elements, and whether a Linux tick reclaimed a deferred end. */
function shapeCoverage(config: GrantConfig): (op: Op, result: OpResult) => readonly string[] {
  const byLength = batchCoverage(config);
  // `map_grant_ref+pte:<status>` built once per status: a burst counts up to MAX_BATCH of them
  const pteNames = new Map<number, string>();
  const pteName = (status: number): string => {
    let name = pteNames.get(status);
    if (name === undefined) {
      name = `map_grant_ref+pte:${gntstName(status)}`;
      pteNames.set(status, name);
    }
    return name;
  };
  return (op, result) => {
    const labels = byLength(op);
    // Linux's deferred ends (§18.3): a tick that reclaimed one, or found them still in use
    if (result.kind === 'tick' && result.outcome === 'ok') {
      if (result.reclaimed > 0) return [...labels, 'tick+reclaimed'];
      if (result.pending > 0) return [...labels, 'tick+still_pending'];
      return labels;
    }
    if (op.kind !== 'map_grant_ref' || result.kind !== 'map_grant_ref') return labels;
    let withPte: string[] | undefined; // labels, then each PTE element's status
    for (let i = 0; i < op.batch.length; i++) {
      const m = op.batch[i];
      const r = result.results[i];
      if (m && r && (m.flags & GNTMAP_contains_pte) !== 0) {
        withPte ??= [...labels];
        withPte.push(pteName(r.status));
      }
    }
    return withPte ?? labels;
  };
}

/** Per run: a random subset of `kinds` (swarm testing, see swarmKinds) and a focus
 * (properties/generators/ops.ts) that makes the run's ops meet. */
function swarmPlan(
  config: GrantConfig,
  kinds: readonly OpKind[],
  focus: fc.Arbitrary<Focus> = focusArbitrary(config),
  /** The run's kinds from the swarm's subset and the focus (absent: the subset). */
  kindsOf?: (enabled: OpKind[], focus: Focus) => OpKind[],
): fc.Arbitrary<RunPlan> {
  const profiled = hasProfiles(config);
  return fc
    .record({
      kinds: swarmKinds(profiled ? [...kinds, ...PROFILE_OP_KINDS] : kinds),
      focus,
    })
    .map(({ kinds: subset, focus }) => {
      const enabled = kindsOf ? kindsOf(subset, focus) : subset;
      // GNTMAP_contains_pte maps go with unmap_and_replace: one x86 PV PTE surface (a subject
      // that does not declare the op is not sent PTE addresses). Each space is made when first
      // asked: a run asks only one of them.
      let space: OpSpace | undefined;
      let pteSpace: OpSpace | undefined;
      return {
        kinds: enabled,
        arbitrary: (kind: OpKind, implemented?: ReadonlySet<OpKind>) => {
          const ops = opArbitrary(
            implemented?.has('unmap_and_replace') === false
              ? (space ??= new OpSpace(config, focus))
              : (pteSpace ??= new OpSpace(config, focus, true)),
            kind,
          );
          return profiled ? ops.map((op) => profileDriverOp(config, op)) : ops;
        },
      };
    });
}

/** The kinds of the conformance and protocol suites: every op but destroy_domain, which the
 * death suite adds (a kill ends most of a run's ops as not_running, and leaving it out keeps
 * these suites' seeded streams as they were). */
const LIVE_KINDS = OP_KINDS.filter((k) => k !== 'destroy_domain');

/** `kinds`, and the profile ops when some domain runs a real guest library. */
function withProfileKinds(config: GrantConfig, kinds: readonly OpKind[]): readonly OpKind[] {
  return hasProfiles(config) ? [...kinds, ...PROFILE_OP_KINDS] : kinds;
}

/** Does any domain run a real guest library (config.profiles)? */
function hasProfiles(config: GrantConfig): boolean {
  return (config.profiles ?? []).some((p) => p !== 'strict');
}

/** A domain running a real library writes its table only through it: its strict-library
 * transfer calls, raw writes and swaps of its own entries become that library's calls instead
 * (a raw write an allocation, a transfer grant or end an access grant or end, a swap a tick or
 * an allocation; docs/semantics.md §18.2), so that the profile invariants hold for every run. */
function profileDriverOp(config: GrantConfig, op: Op): Op {
  const dom = actingDomain(op);
  const profile = profileOf(config, dom);
  if (profile === 'strict') return op;
  switch (op.kind) {
    case 'raw_write':
      return { kind: 'alloc_refs', dom, count: 1 };
    case 'grant_transfer':
      return {
        kind: 'grant_access',
        dom,
        ref: op.ref,
        grantee: op.grantee,
        gfn: op.gfn,
        readonly: false,
      };
    case 'end_transfer':
      return { kind: 'end_access', dom, ref: op.ref };
    case 'swap_grant_ref':
      return profile === 'linux' ? { kind: 'tick', dom } : { kind: 'alloc_refs', dom, count: 1 };
    default:
      return op;
  }
}

/** Model against impl over every op, hostile raw writes included, with swarm testing. */
function conformanceSuite(config: GrantConfig): Suite {
  return {
    name: 'conformance',
    description:
      'random op sequences over all op kinds (swarm): results, states and every invariant compared after each op',
    config,
    opKinds: withProfileKinds(config, LIVE_KINDS),
    plan: swarmPlan(config, LIVE_KINDS),
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    defaultRuns: 2000,
    defaultMaxOps: 100,
    expectedOutcomes: [
      ...guestOutcomes,
      'end_transfer:pending', // only a raw write can leave a transfer committed, not completed
      'raw_write:ok',
      'raw_write:einval',
      ...hypercallOutcomes(config),
      ...PTE_OUTCOMES,
      ...batchOutcomes(config),
    ],
    opCoverage: shapeCoverage(config),
  };
}

const PROTOCOL_KINDS = LIVE_KINDS.filter((k) => k !== 'raw_write');

/** Conformance with domain death (docs/semantics.md §17): destroy_domain is one kind among the
 * swarm's, so a run kills a domain now and then, and the ops that follow meet a zombie or a
 * gone domain. */
function deathSuite(config: GrantConfig): Suite {
  return {
    ...conformanceSuite(config),
    name: 'death',
    description:
      'conformance with destroy_domain among the kinds: zombies, their frames and their status codes',
    opKinds: withProfileKinds(config, OP_KINDS),
    minDomains: { count: 2, why: 'the control domain and a domain for it to destroy' },
    // the swarm picks among the other kinds; destroy_domain is in every run's subset
    // destroy_domain is in every run's subset; half the casts are made for a teardown scenario
    // (deathFocusArbitrary), whose runs also draw its setup kinds twice as often as the kill
    plan: swarmPlan(config, LIVE_KINDS, deathFocusArbitrary(config), (subset, focus) =>
      focus.death
        ? [
            ...subset.filter((k) => !DEATH_SETUP_KINDS.includes(k) && k !== 'transfer'),
            ...DEATH_SETUP_KINDS,
            ...DEATH_SETUP_KINDS,
            'transfer',
            'destroy_domain',
          ]
        : [...subset, 'destroy_domain'],
    ),
    // only the control domain kills, and not itself: a one-domain config has no victim
    expectedOutcomes: config.domains >= 2 ? ['destroy_domain:okay'] : [],
  };
}

/** Only protocol-following guests: the (G) invariants apply to every entry. */
function protocolSuite(config: GrantConfig): Suite {
  return {
    ...conformanceSuite(config),
    name: 'protocol',
    description:
      'protocol-following guests only (no raw writes): the guest-side invariants hold on every entry',
    opKinds: withProfileKinds(config, PROTOCOL_KINDS),
    plan: swarmPlan(config, PROTOCOL_KINDS),
    expectedOutcomes: [
      ...guestOutcomes,
      ...hypercallOutcomes(config),
      ...PTE_OUTCOMES,
      ...batchOutcomes(config),
    ],
  };
}

/** The netback/blkback-like script (issue 14 §3; docs/semantics.md §19), interleaved with a
 * swarm of every other op: a frontend (any profile) grants refs to a backend domain, whose
 * driver maps them as one batch (sometimes with a ref the frontend did not grant, so that the
 * batch partly fails), does I/O through them and unmaps them; the frontend ends its grants
 * (in_use while mapped) and frees its refs. The backend domain maps only through its driver:
 * its own map and unmap calls become the driver's. Its kinds are in no other suite, so their
 * seeded streams are as they were. */
function backendsSuite(config: GrantConfig): Suite {
  const profiled = hasProfiles(config);
  const script: readonly OpKind[] = [
    'grant_access',
    'end_access',
    ...(profiled ? (['alloc_refs', 'free_ref'] as const) : []),
    ...BACKEND_OP_KINDS,
  ];
  const others = withProfileKinds(config, PROTOCOL_KINDS);
  return {
    ...conformanceSuite(config),
    name: 'backends',
    description:
      'a netback/blkback-like backend driver (map a batch, I/O, unmap) against a frontend of any profile, among a few other op kinds per run',
    opKinds: [...new Set([...others, ...BACKEND_OP_KINDS])],
    minDomains: { count: 2, why: 'a frontend and a backend domain apart' },
    plan: fc
      // a few other kinds per run (the script's own dominate), each run a different few
      .record({
        kinds: fc.subarray([...others], { maxLength: 4 }),
        focus: backendFocusArbitrary(config),
      })
      .map(({ kinds: enabled, focus }) => {
        const space = new OpSpace(config, focus);
        return {
          kinds: [...new Set([...script, ...enabled])],
          arbitrary: (kind: OpKind, implemented?: ReadonlySet<OpKind>) => {
            // a subject without the driver (real Xen's agent) keeps the domain's own calls
            const driver = implemented === undefined || implemented.has('backend_unmap');
            const any = opArbitrary(space, kind);
            const scripted = frontendScriptArbitrary(space, kind);
            const ops =
              scripted === undefined
                ? any
                : fc.oneof({ arbitrary: scripted, weight: 3 }, { arbitrary: any, weight: 1 });
            return ops.map((op) => {
              const own = profiled ? profileDriverOp(config, op) : op;
              return driver ? backendDriverOp(focus, own) : own;
            });
          },
        };
      }),
    defaultRuns: 500,
    defaultMaxOps: 60,
    // a frontend and a backend apart: a one-domain config has no script
    expectedOutcomes:
      config.domains < 2
        ? []
        : [
            'grant_access:ok',
            'end_access:ended',
            'end_access:in_use',
            'backend_map:ok',
            'backend_map:failed',
            'backend_map+partial',
            'backend_map:contract',
            'backend_io:ok',
            'backend_io:contract',
            'backend_unmap:ok',
            'backend_unmap:contract',
          ],
    opCoverage: (_op, result) =>
      // a failed batch some of whose elements mapped: the backend had to unmap them (XSA-361)
      result.kind === 'backend_map' &&
      result.outcome === 'failed' &&
      result.statuses.some((s) => s === GNTST_okay)
        ? ['backend_map+partial']
        : [],
  };
}

const SUITE_BUILDERS: ReadonlyMap<string, (config: GrantConfig) => Suite> = new Map([
  ['conformance', conformanceSuite],
  ['protocol', protocolSuite],
  ['death', deathSuite],
  ['backends', backendsSuite],
]);

/** Suites that run only the faults that name them (Fault.suite), not every fault: the backends
 * suite's ops reach only the backend driver's bugs beyond what the others reach. */
export const SUITE_FOR_ITS_FAULTS_ONLY: ReadonlySet<string> = new Set(['backends']);

export const SUITE_NAMES: readonly string[] = [...SUITE_BUILDERS.keys()];

/** The suite called `name` over `config` (the default config when omitted). */
export function buildSuite(name: string, config: GrantConfig = DEFAULT_CONFIG): Suite | undefined {
  return SUITE_BUILDERS.get(name)?.(config);
}
