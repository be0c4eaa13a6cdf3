// The grantcheck command line: commander parses, each subcommand returns a CliOutcome (or throws
// a UsageError for bad flags or input, caught here once), and one table (EXIT_CODES) turns
// outcomes into exit codes. Bad input is one line on stderr and exit 2, never a stack trace.
// Why import each command inside its action? Start-up: `--help` loads commander alone, `--version`
// not even that, and `run` does not load the explorer (zod, the suites and the impl are most of
// the time).

import type * as Commander from 'commander';
import type { Command } from 'commander';
import { VERSION } from '../version.ts';
import type { ExploreFlags } from './commands/explore.ts';
import type { CliOutcome, Io } from './outcome.ts';
import { EXIT_CODE_HELP, EXIT_CODES, processIo } from './outcome.ts';
import { UsageError } from './options.ts';
import { SubjectError } from '../subject/subject.ts';

/** --format on the commands that write traces (docs/trace-format.md, "ITF"). */
function formatOption(commander: typeof Commander): Commander.Option {
  return new commander.Option(
    '--format <format>',
    "trace file format: grantcheck's own (json) or the Informal Trace Format of Apalache and Quint (itf, written as .itf.json)",
  )
    .choices(CHOICES.format)
    .default('json');
}

/** The default of every `--out` as help shows it; the commands apply options.ts's
 * DEFAULT_TRACE_DIR themselves (a CLI test keeps the two equal). */
const TRACE_DIR_HELP = 'grantcheck-traces';

/** The values of the flags that take a choice, for commander's .choices() (which lists them in
 * --help and refuses others before any command loads). Here, not imported from the commands:
 * start-up (the suites load fast-check, the presets the Xen-level model); a CLI test keeps each
 * equal to the command's own list. */
export const CHOICES = {
  suite: ['conformance', 'protocol', 'death', 'backends', 'all'],
  profile: ['strict', 'linux', 'mini-os', 'mirage', 'all'],
  format: ['json', 'itf'],
  mode: ['random', 'exhaustive', 'both'],
  model: ['core', 'xen'],
  variant: ['correct', 'end-access-ignores-mappings'],
  alphabet: ['full', 'protocol'],
  preset: ['corners', 'basic'],
} as const;

/** A command's options as typed: without the values commander filled in from defaults (--out,
 * --format, --model). Why: a flag refused in some combination (explore --replay takes no --out)
 * must be told from its default, which the command applies itself. */
function typed<T extends object>(command: Command): Partial<T> {
  const opts = command.opts<Record<string, unknown>>();
  return Object.fromEntries(
    Object.entries(opts).filter(([key]) => command.getOptionValueSource(key) !== 'default'),
  ) as Partial<T>;
}

/** commander's refusal of a value outside .choices(), in the CLI's words:
 * "--mode: 'x' is not one of random, exhaustive, both". */
function choiceMessage(message: string): string {
  const m =
    /^option '(--[\w-]+)[^']*' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/s.exec(
      message,
    );
  return m ? `${m[1]}: '${m[2]}' is not one of ${m[3]}` : message;
}

function buildProgram(
  commander: typeof Commander,
  io: Io,
  settle: (outcome: CliOutcome) => void,
): Command {
  const program = new commander.Command();
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
    .addOption(
      new commander.Option('--suite <name>', 'suite to run, or "all"')
        .choices(CHOICES.suite)
        .default('all'),
    )
    .option('--seed <n>', 'seed for the random generator (default: fresh, printed)')
    .option('--runs <n>', "random runs per suite (default: the suite's budget)")
    .option('--max-ops <n>', "maximum ops per run (default: the suite's budget)")
    .option('--domains <n>', 'number of domains (default 3)')
    .option('--vcpus <n>', 'vCPUs per domain, 1 to 4 (default 1): per-vCPU maptrack free lists')
    .addOption(
      new commander.Option(
        '--profile <name>',
        "guest library of domains 1.., or all (default: strict, then each library on 1/20 of the runs; the fault's own with --fault, strict with --subject)",
      ).choices(CHOICES.profile),
    )
    .option('--out <dir>', 'where to write counterexample traces', TRACE_DIR_HELP)
    .addOption(formatOption(commander))
    .option('--fault <id>', 'run against a deliberately broken impl (see: grantcheck list)')
    .option(
      '--subject <command>',
      'check an external subject (docs/subject-protocol.md), or "xen": real Xen under QEMU (docs/real-xen.md)',
    )
    .option(
      '--failures <dir>',
      'failure database: kept failures are replayed first (default .grantcheck/failures)',
    )
    .option('--no-failures', 'neither replay nor keep failures')
    .option(
      '--workers <n>',
      "worker threads sharing each suite's runs (default: the cores but one, at most one per 250 runs)",
    )
    .option('--shard <i/n>', "run only shard i of n of each suite's runs (CI across machines)")
    .option('--json', 'print a machine-readable summary on stdout')
    .action(async (opts: Record<string, string | boolean | undefined>) =>
      settle(await (await import('./commands/run.ts')).runCommand(opts, io)),
    );

  program
    .command('replay')
    .description('re-run a trace deterministically and print it step by step')
    .argument('<file>', 'trace file (JSON)')
    .option(
      '--fault <id>',
      'replay against this fault instead of the recorded one ("none": the correct impl)',
    )
    .option(
      '--subject <command>',
      'replay against an external subject (docs/subject-protocol.md), or "xen": real Xen under QEMU',
    )
    .option('--json', 'print the replay as JSON')
    .action(async (file: string, opts: { json?: boolean; fault?: string; subject?: string }) =>
      settle((await import('./commands/replay.ts')).replayCommand(file, opts, io)),
    );

  program
    .command('view')
    .description('write a trace as one self-contained HTML page: sequence diagram and states')
    .argument('<file>', 'trace file (JSON)')
    .option('--out <file>', 'where to write the page (default: beside the trace, .html)')
    .action(async (file: string, opts: { out?: string }) =>
      settle((await import('./commands/view.ts')).viewCommand(file, opts, io)),
    );

  program
    .command('exec')
    .description('run ops written in their text form, e.g. "grant_access(d1 ref=8 -> d2 gfn=0 rw)"')
    .argument('<ops...>', 'ops, one per argument (or per line)')
    .option('--domains <n>', 'number of domains (default 3; 1 with --subject xen)')
    .option('--vcpus <n>', 'vCPUs per domain, 1 to 4 (default 1)')
    .option('--fault <id>', 'run against a deliberately broken impl')
    .option(
      '--subject <command>',
      'run against an external subject (docs/subject-protocol.md), or "xen": real Xen under QEMU (docs/real-xen.md)',
    )
    .option('--out <file>', 'save the run as a trace')
    .option('--json', "print the run as JSON (replay's shape)")
    .action(
      async (
        ops: string[],
        opts: {
          domains?: string;
          vcpus?: string;
          fault?: string;
          subject?: string;
          out?: string;
          json?: boolean;
        },
      ) => settle((await import('./commands/exec.ts')).execCommand(ops, opts, io)),
    );

  program
    .command('faults')
    .description('the kill report: run every fault through the suites; each must be caught')
    .option('--only <ids>', 'only these faults (comma-separated ids, see: grantcheck list)')
    .option('--budget <runs>', "random runs per suite (default: the suite's budget)")
    .option('--seed <n>', 'seed for the random generator (default 1, fixed)')
    .option('--out <dir>', 'where to write the traces of caught faults', TRACE_DIR_HELP)
    .addOption(formatOption(commander))
    .option('--explore-time <s>', 'seconds of exhaustive search per fault, 0 for none (default 3)')
    .option(
      '--workers <n>',
      "worker threads sharing the faults (default: the machine's cores but one)",
    )
    .option('--shard <i/n>', 'judge only shard i of n of the faults (CI across machines)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: Record<string, string | boolean | undefined>) =>
      settle(await (await import('./commands/faults.ts')).faultsCommand(opts, io)),
    );

  program
    .command('interleave')
    .description(
      'race guest and hypervisor ops at their shared-entry accesses and Xen locks (random and exhaustive)',
    )
    .addOption(
      new commander.Option('--mode <mode>', 'random, exhaustive or both')
        .choices(CHOICES.mode)
        .default('both'),
    )
    .option('--fault <id>', 'run against a deliberately broken impl (its race, if it has one)')
    .option('--vcpus <n>', 'vCPUs per domain (1-4); without --fault, n > 1 races n vCPUs of d2')
    .option('--seed <n>', 'seed for the random mode (default: fresh, printed)')
    .option('--runs <n>', 'random runs (default 300)')
    .option('--max-ops <n>', 'ops per actor program in the random mode (default 3)')
    .option('--preemptions <k>', 'exhaustive mode: at most k preemptions per schedule')
    .option('--no-reduction', 'exhaustive mode: explore every schedule (no sleep sets)')
    .option('--out <dir>', 'where to write the counterexample trace', TRACE_DIR_HELP)
    .option('--json', 'print a machine-readable summary on stdout')
    .action(async (opts: Record<string, string | boolean | undefined>) =>
      settle((await import('./commands/interleave.ts')).interleaveCommand(opts, io)),
    );

  program
    .command('explore')
    .description(
      'explore every reachable state within bounds (breadth-first, shortest counterexamples)',
    )
    .addOption(
      new commander.Option(
        '--model <name>',
        'core (the abstract protocol) or xen (the reference model)',
      )
        .choices(CHOICES.model)
        .default('core'),
    )
    .option('--domains <n>', 'domains (default 2)')
    .option('--refs <n>', 'grant refs per domain (default: core 2, xen 1)')
    .option('--frames <n>', 'core: page frames (default 3)')
    .option('--pages <n>', 'xen: pages per domain (default 1)')
    .option('--max-pin <n>', 'mappings per grant and kind (default: core 2, xen 1)')
    .option('--depth <n>', 'expand no state deeper than this')
    .option('--max-states <n>', 'store at most this many states')
    .option(
      '--max-memory <MiB>',
      'resident memory (RSS) of the whole process (default: a quarter of RAM, at most 8 GiB)',
    )
    .option('--time-budget <seconds>', 'stop after this long')
    .option('--symmetry', 'core: quotient by domain renaming')
    .addOption(
      new commander.Option(
        '--variant <name>',
        'core: the correct protocol or a deliberately broken variant (default correct)',
      ).choices(CHOICES.variant),
    )
    .addOption(
      new commander.Option('--alphabet <name>', 'xen: the op alphabet (default protocol)').choices(
        CHOICES.alphabet,
      ),
    )
    .addOption(
      new commander.Option(
        '--preset <name>',
        'xen: corners (pin overflow, maptrack exhaustion, max_pages refusals) or basic (no swaps, no PTE surface); flags override it',
      ).choices(CHOICES.preset),
    )
    .option('--batch <n>', 'xen: longest map and unmap batch, 1..4 (default 1; full alphabet)')
    .option(
      '--extensions <list>',
      'xen: op families to add: hostile_writes, split_unmaps, copies, map_bursts, overflow_maps',
    )
    .option(
      '--max-pages-slack <n>',
      "xen: max_pages minus a domain's pages, 0..16 (0: all at their limit; default: no limit hit)",
    )
    .option('--kinds <list>', 'xen: cut the alphabet to these op kinds (comma-separated)')
    .option('--conformance', 'xen: apply every transition to the impl and compare')
    .option('--refinement', 'xen: check every transition against the core model')
    .option('--fault <id>', 'xen: against a deliberately broken impl (implies --conformance)')
    .option(
      '--subject <command>',
      'xen: conformance against an external subject (implies --conformance)',
    )
    .option(
      '--workers <n>',
      'worker threads (default 1), each owning a share of the states; xen with per-transition checks (conformance, refinement, fault): sharing those checks',
    )
    .option('--replay <file>', 'replay a core trace written by explore')
    .option('--out <dir>', 'where to write counterexample traces', TRACE_DIR_HELP)
    .addOption(formatOption(commander))
    .option('--json', 'print a machine-readable summary on stdout')
    .action(async (_opts: unknown, command: Command) => {
      const { exploreCommand } = await import('./commands/explore.ts');
      settle(await exploreCommand(typed<ExploreFlags>(command), io));
    });

  program
    .command('list')
    .description('list suites, invariants, step properties, op kinds and faults')
    .option('--json', 'as JSON')
    .action(async (opts: { json?: boolean }) =>
      settle((await import('./commands/list.ts')).listCommand(opts, io)),
    );

  return program;
}

/** Run the CLI on `argv` (without node and script) and return the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  // The one answer that needs no parser, before commander loads (commander's own --version, for
  // the same flag among others, prints the same line).
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.out(`${VERSION}\n`);
    return EXIT_CODES.ok;
  }
  // Past --version, which does no work to tune for (and loads no more than it must).
  (await import('./v8Tuning.ts')).tuneV8();
  const commander = await import('commander');
  let outcome: CliOutcome = { kind: 'ok' };
  const program = buildProgram(commander, io, (o) => {
    outcome = o;
  });
  if (argv.length === 0) {
    // The bare command is a request for help, not a mistake. outputHelp, not helpInformation:
    // only the former adds the text after it (the exit codes), as --help does.
    program.outputHelp();
    return EXIT_CODES.ok;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof commander.CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      // `help NAME` for no command NAME: commander's message is only its marker, "(outputHelp)"
      const { clipText } = await import('../input/quote.ts');
      const message =
        e.code === 'commander.help'
          ? `help ${clipText(argv.slice(1).join(' '), 60)}: no such command (grantcheck --help lists them)`
          : e.message.replace(/^error: /, '');
      outcome = { kind: 'usage', message: choiceMessage(message) };
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
