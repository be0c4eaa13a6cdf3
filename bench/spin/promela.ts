// A Promela model of grantcheck's core protocol model (src/core) for SPIN, generated for given
// bounds: one process, a `do` loop whose options are the core's actions, each a `d_step` with
// the action's guard and effect. Written from the core's definition (docs/explore.md and the
// rules in src/core/step.ts), not from its code: SPIN's state count is an independent check of
// grantcheck's explorer as well as a speed baseline (bench/spin.ts).
//
// Why the state counts are equal: the Promela state is the core state and nothing else. Each
// entry's fields that its kind does not use are 0 (an action that changes the kind clears
// them), the loop's program counter is the same before and after every d_step, and the initial
// state needs no step (owners are scalars with initialisers), so the encodings are in bijection.

import { formatCoreAction } from '../../src/core/action.ts';
import type { CoreAction } from '../../src/core/action.ts';
import type { CoreConfig } from '../../src/core/config.ts';
import { coreConfigProblems } from '../../src/core/config.ts';

export interface PromelaOptions {
  /** End every d_step with `assert(INV)`: the core's five invariants over the whole state, the
   * ones `grantcheck explore` checks on every new state (src/core/invariants.ts). Default true. */
  readonly invariants?: boolean;
}

/** What one d_step does: its action (for the comment), its guard, its assignments. */
interface Option {
  readonly action: CoreAction;
  readonly guard: string;
  readonly effect: readonly string[];
}

/** The Promela text of the core model with these bounds; throws RangeError for bad bounds. */
export function corePromela(c: CoreConfig, options: PromelaOptions = {}): string {
  const problems = coreConfigProblems(c);
  if (problems.length > 0) throw new RangeError(`core model: ${problems.join('; ')}`);
  const { domains: D, refs: R, frames: F, maxPin: M } = c;
  const N = D * R;
  const checks = options.invariants ?? true;
  const entry = (d: number, r: number): number => d * R + r;
  const own = (f: number): string => `own${f}`;
  /** Set entry i to free: every field back to 0. */
  const clear = (i: number): string[] => [
    `kind[${i}] = FREE`,
    `grantee[${i}] = 0`,
    `frame[${i}] = 0`,
    `ro[${i}] = 0`,
  ];

  const opts: Option[] = [];
  for (let d = 0; d < D; d++) {
    for (let r = 0; r < R; r++) {
      const i = entry(d, r);
      // grant_access: the entry is free, d owns the frame, the grantee is another domain.
      for (let g = 0; g < D; g++) {
        if (g === d) continue;
        for (let f = 0; f < F; f++) {
          for (const readonly of [false, true]) {
            opts.push({
              action: { kind: 'grant_access', dom: d, ref: r, grantee: g, frame: f, readonly },
              guard: `kind[${i}] == FREE && ${own(f)} == ${d}`,
              effect: [
                `kind[${i}] = ACCESS`,
                `grantee[${i}] = ${g}`,
                `frame[${i}] = ${f}`,
                `ro[${i}] = ${readonly ? 1 : 0}`,
              ],
            });
          }
        }
      }
      // end_access: an access entry nobody maps.
      opts.push({
        action: { kind: 'end_access', dom: d, ref: r },
        guard: `kind[${i}] == ACCESS && rc[${i}] == 0 && wc[${i}] == 0`,
        effect: clear(i),
      });
      // grant_transfer: the entry is free; any grantee, d itself included.
      for (let g = 0; g < D; g++) {
        opts.push({
          action: { kind: 'grant_transfer', dom: d, ref: r, grantee: g },
          guard: `kind[${i}] == FREE`,
          effect: [`kind[${i}] = WAITING`, `grantee[${i}] = ${g}`],
        });
      }
      // end_transfer: a transfer entry, waiting or done.
      opts.push({
        action: { kind: 'end_transfer', dom: d, ref: r },
        guard: `(kind[${i}] == WAITING || kind[${i}] == DONE)`,
        effect: clear(i),
      });
    }
  }
  for (let g = 0; g < D; g++) {
    for (let x = 0; x < D; x++) {
      for (let r = 0; r < R; r++) {
        const i = entry(x, r);
        const mine = `kind[${i}] == ACCESS && grantee[${i}] == ${g}`;
        // map: g maps x's access entry granted to it; a write needs a writable grant; a count
        // stays at most MAXPIN. unmap: the count is above 0.
        for (const write of [false, true]) {
          const count = write ? `wc[${i}]` : `rc[${i}]`;
          opts.push({
            action: { kind: 'map', grantee: g, granter: x, ref: r, write },
            guard: `${mine}${write ? ` && !ro[${i}]` : ''} && ${count} < ${M}`,
            effect: [`${count}++`],
          });
          opts.push({
            action: { kind: 'unmap', grantee: g, granter: x, ref: r, write },
            guard: `${mine} && ${count} > 0`,
            effect: [`${count}--`],
          });
        }
      }
    }
    // transfer: g owns the frame and grants access to it in none of its entries; x's entry
    // waits for a frame from g. The frame becomes x's, the entry transfer-done with it.
    for (let f = 0; f < F; f++) {
      const unshared = Array.from(
        { length: R },
        (_, r) => `!(kind[${entry(g, r)}] == ACCESS && frame[${entry(g, r)}] == ${f})`,
      );
      for (let x = 0; x < D; x++) {
        for (let r = 0; r < R; r++) {
          const i = entry(x, r);
          opts.push({
            action: { kind: 'transfer', grantee: g, frame: f, granter: x, ref: r },
            guard: [
              `${own(f)} == ${g}`,
              ...unshared,
              `kind[${i}] == WAITING`,
              `grantee[${i}] == ${g}`,
            ].join(' && '),
            effect: [
              `${own(f)} = ${x}`,
              `kind[${i}] = DONE`,
              `grantee[${i}] = 0`,
              `frame[${i}] = ${f}`,
            ],
          });
        }
      }
    }
  }

  const lines: string[] = [
    `/* grantcheck's core protocol model, D=${D} R=${R} F=${F} MAXPIN=${M}: ${opts.length} actions.`,
    ` * Generated by bench/spin/promela.ts; SPIN's reachable states equal`,
    ` * \`grantcheck explore --model core --domains ${D} --refs ${R} --frames ${F} --max-pin ${M}\`'s. */`,
    '',
    '#define FREE    0',
    '#define ACCESS  1',
    '#define WAITING 2',
    '#define DONE    3',
    '',
    `/* Entry (d, r) is index d*${R} + r. Fields a kind does not use are 0. */`,
    `byte kind[${N}];`,
    `byte grantee[${N}]; /* access, waiting */`,
    `byte frame[${N}];   /* access, done */`,
    `bit ro[${N}];       /* access */`,
    `byte rc[${N}];      /* access: read mappings */`,
    `byte wc[${N}];      /* access: write mappings */`,
    '/* The owner of each frame; frame f starts owned by domain f mod D. */',
    `byte ${Array.from({ length: F }, (_, f) => `${own(f)} = ${f % D}`).join(', ')};`,
    '',
  ];
  if (checks) lines.push(...invariantMacro(c), '');
  lines.push('active proctype core()', '{', 'end:', '  do');
  for (const o of opts) {
    const effect = checks ? [...o.effect, 'assert(INV)'] : o.effect;
    lines.push(
      `  /* ${formatCoreAction(o.action)} */`,
      `  :: d_step { ${o.guard} -> ${effect.join('; ')} }`,
    );
  }
  lines.push('  od', '}', '');
  return lines.join('\n');
}

/** `#define INV (...)`: the five invariants of src/core/invariants.ts, unrolled. */
function invariantMacro(c: CoreConfig): string[] {
  const { domains: D, refs: R, frames: F, maxPin: M } = c;
  const terms: string[] = [];
  // frame-has-one-owner
  for (let f = 0; f < F; f++) terms.push(`own${f} < ${D}`);
  for (let d = 0; d < D; d++) {
    for (let r = 0; r < R; r++) {
      const i = d * R + r;
      // readonly-not-write-mapped
      terms.push(`(kind[${i}] != ACCESS || !ro[${i}] || wc[${i}] == 0)`);
      // access-frame-owned-by-granter
      for (let f = 0; f < F; f++) {
        terms.push(`(kind[${i}] != ACCESS || frame[${i}] != ${f} || own${f} == ${d})`);
      }
      // counts-in-range
      terms.push(`rc[${i}] <= ${M} && wc[${i}] <= ${M}`);
      // free-entry-unmapped
      terms.push(`(kind[${i}] != FREE || (rc[${i}] == 0 && wc[${i}] == 0))`);
    }
  }
  return [
    '/* The five invariants grantcheck checks (src/core/invariants.ts), over the whole state. */',
    `#define INV ( \\`,
    ...terms.map((t, k) => `  ${t}${k < terms.length - 1 ? ' && \\' : ' )'}`),
  ];
}
