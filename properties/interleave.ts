// The interleaving suite's defaults (grantcheck interleave without --fault): two actors racing on
// d1's access grant ref 8 (granted to d2) and d2's transfer entry ref 9 (for d1). The exhaustive
// programs are the two actors with three ops each: d1 ends, regrants and ends its grant
// while d2 maps, unmaps and maps it again.

import type { RaceSearch } from '../src/faults/fault.ts';
import type { OpKind } from '../src/ops/op.ts';
import { parseOp } from '../src/ops/text.ts';
import type { RaceTargets } from './generators/interleave.ts';

function op(text: string) {
  const parsed = parseOp(text);
  if (!parsed.ok) throw new Error(`${parsed.error}: ${text}`);
  return parsed.op;
}

/** What random programs aim at: refs 8 and 9 of d1 and d2, gfns 0 and 1; pages arrive at gfn 3;
 * unmaps may name the device address of d1's gfn 0 (mfn 0x104). */
export const RACE_TARGETS: RaceTargets = {
  refs: [8, 9],
  doms: [1, 2],
  gfns: [0, 1],
  slots: [3],
  devBusAddrs: [0x104000],
};

const RACING_KINDS: readonly OpKind[] = [
  'grant_access',
  'end_access',
  'grant_transfer',
  'end_transfer',
  'map_grant_ref',
  'unmap_grant_ref',
  'transfer',
  'copy',
];

export const DEFAULT_RACE: RaceSearch = {
  setup: [op('grant_access(d1 ref=8 -> d2 gfn=0 rw)'), op('grant_transfer(d2 ref=9 <- d1 gfn=3)')],
  actors: [
    {
      dom: 1,
      ops: [
        op('end_access(d1 ref=8)'),
        op('grant_access(d1 ref=8 -> d2 gfn=1 rw)'),
        op('end_access(d1 ref=8)'),
      ],
      kinds: RACING_KINDS,
    },
    {
      dom: 2,
      ops: [
        op('map(d2: d1 ref=8 host @0x1000)'),
        op('unmap(d2: h=0 host=0x1000 dev=0x0)'),
        op('map(d2: d1 ref=8 host @0x1000)'),
      ],
      kinds: RACING_KINDS,
    },
  ],
};

/** `grantcheck interleave --vcpus N`: vCPUs of d2 (one actor each, up to three) mapping d1's
 * grants at once, racing on d2's maptrack. vCPU 0 has set up the maptrack (the setup map), so
 * its list holds the rest of the first frame and every other vCPU starts with none: its first map
 * steals (get_maptrack_handle L672-683: a sentinel, then a handle). Programs are maps and copies
 * only: with two vCPUs of one domain the check is blind to handle numbers
 * (src/interleave/handleBlind.ts), so no op may name one. */
export function vcpuRace(vcpus: number): RaceSearch {
  const refs = [8, 9];
  return {
    config: { vcpus },
    setup: [
      op('grant_access(d1 ref=8 -> d2 gfn=0 rw)'),
      op('grant_access(d1 ref=9 -> d2 gfn=1 ro)'),
      op('map(d2: d1 ref=8 dev|ro @0x0)'),
    ],
    // Three racing vCPUs at most: four single-map actors already make more schedules than an
    // exhaustive run can take in minutes; a fourth vCPU is then a steal victim only.
    actors: Array.from({ length: Math.min(vcpus, 3) }, (_, v) => {
      const who = v === 0 ? 'd2' : `d2 v${v}`;
      return {
        dom: 2,
        vcpu: v,
        // Two maps each for two vCPUs; one each beyond (three actors with two maps each make
        // millions of schedules).
        ops: refs
          .slice(0, vcpus === 2 ? 2 : 1)
          .map((ref) => op(`map(${who}: d1 ref=${ref} dev|ro @0x0)`)),
        kinds: ['map_grant_ref', 'copy'] as const,
      };
    }),
  };
}
