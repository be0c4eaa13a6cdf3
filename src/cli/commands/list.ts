// `grantcheck list`: the suites, invariants, step properties, op kinds and faults, by name.

import { FAULTS } from '../../faults/index.ts';
import { OP_KINDS } from '../../ops/op.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { buildSuite, SUITE_NAMES } from '../../../properties/suites.ts';
import type { CliOutcome, Io } from '../outcome.ts';

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
      `${JSON.stringify({ suites, invariants, stepProperties: properties, opKinds: OP_KINDS, faults }, null, 2)}\n`,
    );
    return { kind: 'ok' };
  }
  const w = (n: number) => (s: string) => s.padEnd(n);
  io.out('suites\n');
  for (const s of suites)
    io.out(`  ${w(14)(s.name)} ${s.description} (${s.runs} runs × ≤${s.maxOps} ops)\n`);
  io.out('\nstate invariants (checked on model and impl after every op)\n');
  for (const i of invariants) io.out(`  ${w(28)(i.name)} ${i.statement}  [${i.source}]\n`);
  io.out('\nstep properties (checked on every transition)\n');
  for (const p of properties) io.out(`  ${w(28)(p.name)} ${p.statement}  [${p.source}]\n`);
  io.out(`\nop kinds\n  ${OP_KINDS.join(', ')}\n`);
  io.out('\nfaults (grantcheck run --fault ID)\n');
  for (const f of faults) io.out(`  ${w(28)(f.id)} ${f.title}  [${f.source}]\n`);
  return { kind: 'ok' };
}
