// `grantcheck list`: the suites, invariants, step properties, op kinds and faults, by name.

import { FAULTS } from '../../faults/index.ts';
import { OP_KINDS, PROFILE_OP_KINDS } from '../../ops/op.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { buildSuite, SUITE_NAMES } from '../../../properties/suites.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { wrapLine } from '../table.ts';
import { columnsTable, widthOf } from '../views.ts';

export function listCommand(flags: { json?: boolean }, io: Io): CliOutcome {
  const suites = SUITE_NAMES.flatMap((name) => {
    const s = buildSuite(name);
    return s
      ? [{ name: s.name, description: s.description, runs: s.defaultRuns, maxOps: s.defaultMaxOps }]
      : [];
  });
  const invariants = INVARIANTS.map((i) => ({
    name: i.name,
    statement: i.statement,
    source: i.source,
  }));
  const properties = STEP_PROPERTIES.map((p) => ({
    name: p.name,
    statement: p.statement,
    source: p.source,
  }));
  const faults = FAULTS.map((f) => ({ id: f.id, title: f.title, source: f.source }));
  if (flags.json) {
    io.out(
      `${JSON.stringify(
        {
          suites,
          invariants,
          stepProperties: properties,
          opKinds: OP_KINDS,
          // the guest-library calls: a strict domain answers each with `unsupported`
          profileOpKinds: PROFILE_OP_KINDS,
          faults,
        },
        null,
        2,
      )}\n`,
    );
    return { kind: 'ok' };
  }
  // Names whole, descriptions wrapped to the terminal's width (src/cli/table.ts).
  const width = widthOf(io);
  const say = (lines: readonly string[]) => {
    for (const line of lines) io.out(`${line}\n`);
  };
  const named = (rows: readonly (readonly [string, string])[]) =>
    say(columnsTable(['', ''], rows, width, { indent: 2, header: false, whole: [0], wrap: 1 }));
  io.out('suites\n');
  named(suites.map((s) => [s.name, `${s.description} (${s.runs} runs × ≤${s.maxOps} ops)`]));
  io.out('\nstate invariants (checked on model and impl after every op)\n');
  named(invariants.map((i) => [i.name, `${i.statement}  [${i.source}]`]));
  io.out('\nstep properties (checked on every transition)\n');
  named(properties.map((p) => [p.name, `${p.statement}  [${p.source}]`]));
  io.out('\nop kinds\n');
  say(wrapLine(OP_KINDS.join(', '), width - 2).map((l) => `  ${l}`));
  // docs/semantics.md §18.1: a strict domain answers these `unsupported`
  io.out(
    '\nguest-library op kinds (need a non-strict profile: run --profile linux, mini-os, mirage)\n',
  );
  say(wrapLine(PROFILE_OP_KINDS.join(', '), width - 2).map((l) => `  ${l}`));
  io.out('\nfaults (grantcheck run --fault ID)\n');
  named(faults.map((f) => [f.id, `${f.title}  [${f.source}]`]));
  return { kind: 'ok' };
}
