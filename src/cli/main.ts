// The grantcheck command line: commander parses, each subcommand returns a CliOutcome (or throws
// a UsageError for bad flags or input, caught here once), and one table (EXIT_CODES) turns
// outcomes into exit codes. Bad input is one line on stderr and exit 2, never a stack trace.

import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.ts';
import { execCommand } from './commands/exec.ts';
import type { ExploreFlags } from './commands/explore.ts';
import { exploreCommand } from './commands/explore.ts';
import { faultsCommand } from './commands/faults.ts';
import { listCommand } from './commands/list.ts';
import { replayCommand } from './commands/replay.ts';
import { DEFAULT_TRACE_DIR, runCommand } from './commands/run.ts';
import type { CliOutcome, Io } from './outcome.ts';
import { EXIT_CODE_HELP, EXIT_CODES, processIo } from './outcome.ts';
import { UsageError } from './options.ts';
import { SubjectError } from '../subject/subject.ts';

function buildProgram(io: Io, settle: (outcome: CliOutcome) => void): Command {
  const program = new Command();
  program
    .name('grantcheck')
    .description('Model checker and property-testing harness for Xen grant tables')
    .version(VERSION, '-V, --version')
    .addHelpText('after', `\n${EXIT_CODE_HELP}`)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: () => {}, // errors are reported once, as one line, by main()
    });

  program
    .command('run')
    .description('run the property suites (model vs impl, every invariant after every op)')
    .option('--suite <name>', 'suite to run, or "all"', 'all')
    .option('--seed <n>', 'seed for the random generator (default: fresh, printed)')
    .option('--runs <n>', "random runs per suite (default: the suite's budget)")
    .option('--max-ops <n>', "maximum ops per run (default: the suite's budget)")
    .option('--domains <n>', 'number of domains (default 3)')
    .option('--out <dir>', 'where to write counterexample traces', DEFAULT_TRACE_DIR)
    .option('--fault <id>', 'run against a deliberately broken impl (see: grantcheck list)')
    .option('--subject <command>', 'check an external subject (docs/subject-protocol.md)')
    .option('--json', 'print a machine-readable summary on stdout')
    .action((opts: Record<string, string | boolean | undefined>) => settle(runCommand(opts, io)));

  program
    .command('replay')
    .description('re-run a trace deterministically and print it step by step')
    .argument('<file>', 'trace file (JSON)')
    .option(
      '--fault <id>',
      'replay against this fault instead of the recorded one ("none": the correct impl)',
    )
    .option('--subject <command>', 'replay against an external subject (docs/subject-protocol.md)')
    .option('--json', 'print the replay as JSON')
    .action((file: string, opts: { json?: boolean; fault?: string; subject?: string }) =>
      settle(replayCommand(file, opts, io)),
    );

  program
    .command('exec')
    .description('run ops written in their text form, e.g. "grant_access(d1 ref=8 -> d2 gfn=0 rw)"')
    .argument('<ops...>', 'ops, one per argument (or per line)')
    .option('--domains <n>', 'number of domains (default 3)')
    .option('--fault <id>', 'run against a deliberately broken impl')
    .option('--out <file>', 'save the run as a trace')
    .action((ops: string[], opts: { domains?: string; fault?: string; out?: string }) =>
      settle(execCommand(ops, opts, io)),
    );

  program
    .command('faults')
    .description('the kill report: run every fault through the suites; each must be caught')
    .option('--only <ids>', 'only these faults (comma-separated ids, see: grantcheck list)')
    .option('--budget <runs>', "random runs per suite (default: the suite's budget)")
    .option('--seed <n>', 'seed for the random generator (default 1, fixed)')
    .option('--out <dir>', 'where to write the traces of caught faults', DEFAULT_TRACE_DIR)
    .option('--explore-time <s>', 'seconds of exhaustive search per fault, 0 for none (default 3)')
    .option('--json', 'print the report as JSON')
    .action((opts: Record<string, string | boolean | undefined>) =>
      settle(faultsCommand(opts, io)),
    );

  program
    .command('explore')
    .description(
      'explore every reachable state within bounds (breadth-first, shortest counterexamples)',
    )
    .option('--model <name>', 'core (the abstract protocol) or xen (the reference model)', 'core')
    .option('--domains <n>', 'domains (default 2)')
    .option('--refs <n>', 'grant refs per domain (default: core 2, xen 1)')
    .option('--frames <n>', 'core: page frames (default 3)')
    .option('--pages <n>', 'xen: pages per domain (default 1)')
    .option('--max-pin <n>', 'mappings per grant and kind (default: core 2, xen 1)')
    .option('--depth <n>', 'expand no state deeper than this')
    .option('--max-states <n>', 'store at most this many states')
    .option('--max-memory <mb>', 'MiB for the visited set')
    .option('--time-budget <seconds>', 'stop after this long')
    .option('--symmetry', 'core: quotient by domain renaming')
    .option('--variant <name>', 'core: a deliberately broken variant (end-access-ignores-mappings)')
    .option('--alphabet <name>', 'xen: full or protocol (default protocol)')
    .option('--conformance', 'xen: apply every transition to the impl and compare')
    .option('--refinement', 'xen: check every transition against the core model')
    .option('--fault <id>', 'xen: against a deliberately broken impl (implies --conformance)')
    .option(
      '--subject <command>',
      'xen: conformance against an external subject (implies --conformance)',
    )
    .option('--replay <file>', 'replay a core trace written by explore')
    .option('--out <dir>', 'where to write counterexample traces', DEFAULT_TRACE_DIR)
    .option('--json', 'print a machine-readable summary on stdout')
    .action((opts: ExploreFlags) => settle(exploreCommand(opts, io)));

  program
    .command('list')
    .description('list suites, invariants, step properties, op kinds and faults')
    .option('--json', 'as JSON')
    .action((opts: { json?: boolean }) => settle(listCommand(opts, io)));

  return program;
}

/** Run the CLI on `argv` (without node and script) and return the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let outcome: CliOutcome = { kind: 'ok' };
  const program = buildProgram(io, (o) => {
    outcome = o;
  });
  if (argv.length === 0) {
    // The bare command is a request for help, not a mistake.
    io.out(program.helpInformation());
    return EXIT_CODES.ok;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      outcome = { kind: 'usage', message: e.message.replace(/^error: /, '') };
    } else if (e instanceof UsageError || e instanceof SubjectError) {
      // a command's flag or input check, or a subject's bad message: bad input, not a bug
      outcome = { kind: 'usage', message: e.message };
    } else {
      outcome = { kind: 'internal', error: e };
    }
  }
  const final: CliOutcome = outcome;
  if (final.kind === 'usage') io.err(`grantcheck: ${final.message}\n`);
  if (final.kind === 'internal') {
    const err = final.error;
    io.err(`grantcheck: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env['GRANTCHECK_DEBUG'] && err instanceof Error) io.err(`${err.stack ?? ''}\n`);
    else io.err('(set GRANTCHECK_DEBUG=1 for the stack trace)\n');
  }
  return EXIT_CODES[final.kind];
}
