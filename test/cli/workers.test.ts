// --workers and --shard from the built command (bin/grantcheck.js over dist/, whose worker
// threads run dist/cli/worker.js, which vitest's globalSetup rebuilds): two workers print and
// write exactly what one does (timings aside), in run, faults and explore's per-transition
// checks; the shards of a suite or of the fault catalogue add up to the whole; bad values are
// one usage line each.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'grantcheck.js');

function grantcheck(...args: string[]) {
  const env = { ...process.env };
  delete env['NODE_OPTIONS']; // no loader: the compiled code alone
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'grantcheck-workers-'));
}

interface RunJson {
  result: string;
  suites: {
    name: string;
    runs: number;
    ops: number;
    opsPerSecond?: number;
    coverage: Record<string, number>;
    trace?: string;
    view?: string;
  }[];
}

/** run's JSON without its clock (ops/s). */
function runJson(out: string): RunJson {
  const json = JSON.parse(out) as RunJson;
  for (const s of json.suites) delete s.opsPerSecond;
  return json;
}

/** run's text without the figures that hold the clock. */
function untimed(out: string): string {
  return out.replace(/ops +(\d+) checked in .*$/gm, 'ops $1');
}

describe('run --workers 2 is run --workers 1', () => {
  it.each([1, 2, 3])('passing suites, seed %i: the same JSON', (seed) => {
    const args = ['run', '--runs', '60', '--max-ops', '20', '--seed', String(seed), '--json'];
    const one = grantcheck(...args, '--workers', '1');
    const two = grantcheck(...args, '--workers', '2');
    expect(one.code).toBe(0);
    expect(two).toMatchObject({ code: 0, err: '' });
    expect(runJson(two.out)).toEqual(runJson(one.out));
  });

  it('a fault: the same summary, coverage, counterexample and trace', () => {
    const outs = [1, 2].map((workers) => {
      const dir = tmp();
      const args = ['run', '--fault', 'end-access-ignores-writing', '--seed', '5', '--out', dir];
      const text = grantcheck(...args, '--workers', String(workers));
      const json = grantcheck(...args, '--workers', String(workers), '--json');
      const trace = join(dir, 'conformance-seed5-end-access-ignores-writing.json');
      return { text, json, trace: readFileSync(trace, 'utf8'), dir };
    });
    const [one, two] = outs;
    expect(one?.text.code).toBe(1);
    expect(two?.text.code).toBe(1);
    expect(untimed(two?.text.out ?? '').replaceAll(two?.dir ?? '', 'DIR')).toBe(
      untimed(one?.text.out ?? '').replaceAll(one?.dir ?? '', 'DIR'),
    );
    const j = (o: typeof one) => {
      const json = runJson(o?.json.out ?? '');
      // the paths name each run's own directory
      for (const s of json.suites) {
        delete s.trace;
        delete s.view;
      }
      return json;
    };
    expect(j(two)).toEqual(j(one));
    expect(two?.trace).toBe(one?.trace);
  });

  it('a failure past the first block: the same runs, ops and counterexample', () => {
    // 200 runs on 2 workers: blocks of 25; seed 1 fails in run 31.
    const args = ['run', '--suite', 'conformance', '--fault', 'xsa-218-unmap-double-free'];
    const rest = ['--seed', '1', '--runs', '200', '--max-ops', '20', '--json', '--out', tmp()];
    const one = runJson(grantcheck(...args, ...rest, '--workers', '1').out);
    const two = runJson(grantcheck(...args, ...rest, '--workers', '2').out);
    expect(one.suites[0]?.runs).toBeGreaterThan(25);
    expect(two).toEqual(one);
  });
});

describe('run --workers 2 and Ctrl-C', () => {
  it("prints the workers' figures so far and exits 130", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, GRANTCHECK_WATCH_INTERRUPT: '1' };
    delete env['NODE_OPTIONS'];
    const args = [bin, 'run', '--seed', '3', '--workers', '2', '--out', tmp()];
    const child = spawn(process.execPath, args, { cwd: root, env, detached: true });
    let err = '';
    let sent = false;
    const code = new Promise<number | null>((done) => child.on('close', done));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // Ctrl-C (to the process group, as a terminal sends it) once the runs are under way.
      if (!sent && err.includes('watching for Ctrl-C') && child.pid !== undefined) {
        sent = true;
        const pid = child.pid;
        setTimeout(() => process.kill(-pid, 'SIGINT'), 1500);
      }
    });
    expect(await code).toBe(130);
    expect(err).toMatch(/interrupted; so far conformance: \d+\/2000 runs in [\d.]+ s/);
  });
});

describe('run --shard i/n', () => {
  it('the shards of a suite add up to the whole: runs, ops and coverage', () => {
    const args = ['run', '--suite', 'conformance', '--runs', '50', '--max-ops', '20', '--json'];
    const whole = runJson(grantcheck(...args, '--seed', '4').out).suites[0];
    const parts = [1, 2, 3].map(
      (i) => runJson(grantcheck(...args, '--seed', '4', '--shard', `${i}/3`).out).suites[0],
    );
    expect(parts.map((p) => p?.runs)).toEqual([16, 17, 17]);
    expect(parts.reduce((n, p) => n + (p?.ops ?? 0), 0)).toBe(whole?.ops);
    const coverage: Record<string, number> = {};
    for (const p of parts) {
      for (const [k, v] of Object.entries(p?.coverage ?? {})) coverage[k] = (coverage[k] ?? 0) + v;
    }
    expect(coverage).toEqual(whole?.coverage);
  });
});

describe('faults --workers and --shard', () => {
  const only = 'xsa-316-positive-status,xsa-218-unmap-double-free,xsa-385-transfer-past-max-pages';
  const args = ['faults', '--only', only, '--budget', '200', '--explore-time', '0', '--json'];
  /** The report without its clock. */
  const report = (out: string) =>
    JSON.parse(out.replace(/"(catchMs|totalMs|medianCatchMs|worstCatchMs)": \d+/g, '"$1": 0')) as {
      faults: { id: string }[];
    };

  it('two workers: the report of one, faults in catalogue order, the same traces', () => {
    const dirs = [tmp(), tmp()];
    const one = grantcheck(...args, '--out', dirs[0] ?? '', '--workers', '1');
    const two = grantcheck(...args, '--out', dirs[1] ?? '', '--workers', '2');
    expect(two.code).toBe(one.code);
    const r1 = report(one.out.replaceAll(dirs[0] ?? '', 'DIR'));
    expect(report(two.out.replaceAll(dirs[1] ?? '', 'DIR'))).toEqual(r1);
    expect(r1.faults.map((f) => f.id)).toEqual(only.split(','));
    for (const id of only.split(',')) {
      const name = `fault-${id}.json`;
      expect(readFileSync(join(dirs[1] ?? '', name), 'utf8')).toBe(
        readFileSync(join(dirs[0] ?? '', name), 'utf8'),
      );
    }
  });

  it('the shards of the catalogue are its parts, in order', () => {
    const ids = [1, 2].flatMap((i) =>
      report(grantcheck(...args, '--out', tmp(), '--shard', `${i}/2`).out).faults.map((f) => f.id),
    );
    expect(ids).toEqual(only.split(','));
  });
});

/** `args` (an explore that finds a violation) on `workers` threads, its trace written into a
 * fresh directory: what it printed, and the trace. */
function exploreTrace(args: readonly string[], workers: number) {
  const json = grantcheck(...args, '--out', tmp(), '--workers', String(workers), '--json');
  const trace = (JSON.parse(json.out) as { trace: string }).trace;
  return { json, trace: readFileSync(trace, 'utf8') };
}

/** explore's JSON without what the clock and the threads' memory give. */
function exploreJson(out: string): Record<string, unknown> {
  const json = JSON.parse(out) as Record<string, unknown>;
  const clockFree = Object.entries(json).filter(
    ([k]) =>
      ![
        'elapsedMs',
        'statesPerSecond',
        'peakMemoryBytes',
        'peakRssBytes',
        'trace',
        'view',
      ].includes(k),
  );
  const c = json['conformance'] as Record<string, unknown> | undefined;
  // each worker holds its own snapshots: their peak is a sum over the workers
  const checks = c
    ? Object.entries(c).filter(([k]) => k !== 'peakSnapshots' && k !== 'peakSnapshotBytes')
    : undefined;
  return {
    ...Object.fromEntries(clockFree),
    ...(checks ? { conformance: Object.fromEntries(checks) } : {}),
  };
}

describe('explore --model xen --workers N is --workers 1', () => {
  it.each([
    [['--conformance'], 2],
    [['--conformance', '--refinement'], 3],
    [['--refinement'], 2],
    [['--conformance', '--preset', 'basic', '--max-states', '1000'], 2],
    // past the split into shards that keep what they found (src/xenExplore/conformance.ts
    // `owns`: from a level of 2 048 states at two workers; the basic preset's fourth holds 4 523,
    // its fifth 10 638)
    [['--conformance', '--preset', 'basic', '--max-states', '20000'], 2],
  ])('%j on %i workers: the same states, transitions and checks', (flags, workers) => {
    const args = ['explore', '--model', 'xen', ...flags, '--json', '--out', tmp()];
    const one = grantcheck(...args, '--workers', '1');
    const many = grantcheck(...args, '--workers', String(workers));
    // 0: every state explored; 4: a bound, the same one
    const code = flags.includes('--max-states') ? 4 : 0;
    expect(one.code).toBe(code);
    expect(many).toMatchObject({ code, err: '' });
    expect(exploreJson(many.out)).toEqual(exploreJson(one.out));
  });

  it.each([
    ['xsa-230-status-host-only', ['--alphabet', 'full']],
    [
      'end-access-ignores-writing',
      [
        ...['--alphabet', 'full', '--kinds', 'grant_access,raw_write,end_access'],
        ...['--extensions', 'hostile_writes'],
      ],
    ],
    ['xsa-385-transfer-past-max-pages', ['--preset', 'corners']],
    ['pin-overflow-all-counters', ['--preset', 'corners']],
  ])('fault %s %j: the same counterexample and trace', (fault, flags) => {
    const args = ['explore', '--model', 'xen', ...flags, '--fault', fault];
    const outs = [1, 2].map((workers) => exploreTrace(args, workers));
    const [one, two] = outs;
    expect(one?.json.code).toBe(1);
    expect(two?.json).toMatchObject({ code: 1, err: '' });
    // A search stops at its first failure; the other workers check on until they pass it, and
    // the command says so when one may have gone past it.
    const checked = (o: typeof one) => {
      const json = exploreJson(o?.json.out ?? '') as {
        conformance: { checked?: number };
        countsPastStop?: boolean;
      };
      const n = json.conformance.checked ?? 0;
      const past = json.countsPastStop === true;
      delete json.conformance.checked;
      delete json.countsPastStop;
      return { json, n, past };
    };
    const [a, b] = [checked(one), checked(two)];
    expect(b.json).toEqual(a.json);
    expect(a.past).toBe(false);
    if (b.past) expect(b.n).toBeGreaterThanOrEqual(a.n);
    else expect(b.n).toBe(a.n);
    expect(two?.trace).toBe(one?.trace);
  });
});

describe("explore --model xen --workers N: a violation's counts", () => {
  it("say when a worker may have checked past the failure, and are one thread's when not", () => {
    // maptrack-lifo fails at the initial state's 13th transition, the first worker's (parents
    // are dealt round robin); the second checks parent 1 on unless it learns of the failure
    // first, which a race decides.
    const flags = ['--conformance', '--refinement', '--fault', 'maptrack-lifo'];
    const r = grantcheck('explore', '--model', 'xen', ...flags, '--out', tmp(), '--workers', '2');
    expect(r).toMatchObject({ code: 1, err: '' });
    const applied = Number(/(\d+) transitions applied to it/.exec(r.out)?.[1]);
    const note =
      /\n {15}counts summed over 2 workers, some of which may have checked on past the failure\n/;
    if (applied > 13) expect(r.out).toMatch(note);
    else expect([applied, r.out]).toEqual([13, expect.not.stringMatching(note)]);
  });
});

describe('explore --model xen --workers N without checks is --workers 1', () => {
  // the search split by claims (src/explore/claimed.ts): it splits at a level of 1 024 states a
  // worker (the basic preset's level 4, 2 479 states, at two workers; its level 5, 5 110, at
  // three); the protocol alphabet's levels never get there, so its workers search alike to the
  // end
  it.each([
    [['--preset', 'basic', '--max-states', '30000'], 2],
    [['--preset', 'basic', '--depth', '8'], 3],
    [['--preset', 'corners'], 2],
    [['--alphabet', 'protocol'], 3],
    [['--alphabet', 'full', '--max-states', '50000'], 2],
    // the states to depth 4 exactly: one thread stores none deeper
    [['--preset', 'basic', '--max-states', '3625'], 2],
    [['--preset', 'basic', '--max-states', '1'], 2],
    [['--preset', 'basic', '--depth', '0'], 2],
    // domain-id symmetry (D >= 3): workers deal orbits by their least fingerprint
    [['--domains', '3', '--alphabet', 'full', '--depth', '4'], 2],
    [['--domains', '4', '--depth', '4'], 3],
  ])('%j on %i workers: the same result, states and depth', (flags, workers) => {
    const args = ['explore', '--model', 'xen', ...flags, '--json'];
    const one = grantcheck(...args, '--workers', '1');
    const many = grantcheck(...args, '--workers', String(workers));
    expect(many).toMatchObject({ code: one.code, err: '' });
    const json = exploreJson(many.out);
    const oneJson = exploreJson(one.out);
    const pick = (j: Record<string, unknown>) => {
      const { result, bound, depth, states, maxDepth, transitions } = j;
      // At a bound the split expands the whole level it was on (one thread stops mid-level):
      // its transitions are that level's.
      return { result, bound, depth, states, maxDepth, ...(bound ? {} : { transitions }) };
    };
    expect(pick(json)).toEqual(pick(oneJson));
    expect(Number(json['states'])).toBeGreaterThan(0);
  });
});

describe('explore --model core --workers N is --workers 1', () => {
  // the search split by state (src/explore/partition.ts): every state stored by one worker
  it.each([
    [['--frames', '2'], 2],
    [['--frames', '2'], 3],
    [['--frames', '2', '--symmetry'], 2],
    [['--domains', '3', '--refs', '1', '--frames', '2', '--max-pin', '1'], 2],
  ])('%j on %i workers: the same states, transitions and depth', (flags, workers) => {
    const args = ['explore', '--model', 'core', ...flags, '--json'];
    const one = grantcheck(...args, '--workers', '1');
    const many = grantcheck(...args, '--workers', String(workers));
    expect(one.code).toBe(0);
    expect(many).toMatchObject({ code: 0, err: '' });
    // the bytes a state are not compared: each worker sizes its own share of the visited set
    const { bytesPerState, ...json } = exploreJson(many.out);
    const { bytesPerState: oneBytes, ...oneJson } = exploreJson(one.out);
    expect(json).toEqual(oneJson);
    expect(json['states']).toBeGreaterThan(10_000);
    expect(bytesPerState).toBeGreaterThan(0);
    expect(bytesPerState).toBeLessThan(2 * Number(oneBytes));
  });

  it('a violation: the counterexample and trace of one thread', () => {
    const args = ['explore', '--variant', 'end-access-ignores-mappings'];
    const outs = [1, 2].map((workers) => exploreTrace(args, workers));
    const [one, two] = outs;
    expect(one?.json.code).toBe(1);
    expect(two?.json).toMatchObject({ code: 1, err: '' });
    expect(exploreJson(two?.json.out ?? '')).toEqual(exploreJson(one?.json.out ?? ''));
    expect(two?.trace).toBe(one?.trace);
  });

  it("a violation's path, searched for again in one thread, shows a progress of its own", () => {
    // Watched without a terminal, a progress says on stderr that it watches for Ctrl-C: the
    // split's, then the search for the path's (before, that search answered Ctrl-C only once
    // it ended, or by the watcher's SIGTERM two seconds later: exit 143, no figures).
    const env: NodeJS.ProcessEnv = { ...process.env, GRANTCHECK_WATCH_INTERRUPT: '1' };
    delete env['NODE_OPTIONS'];
    const args = ['explore', '--variant', 'end-access-ignores-mappings', '--workers', '2'];
    const r = spawnSync(process.execPath, [bin, ...args, '--out', tmp()], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.match(/watching for Ctrl-C.*/g)).toEqual([
      'watching for Ctrl-C (explore)',
      "watching for Ctrl-C (explore, the violation's path in one thread)",
    ]);
  });

  it('the bounds: a cut at a depth has its states; the states bound holds for them all', () => {
    const deep = [1, 2].map((w) =>
      grantcheck('explore', '--depth', '8', '--json', '--workers', String(w)),
    );
    const [a, b] = deep.map((r) => JSON.parse(r.out) as Record<string, unknown>);
    expect(deep.map((r) => r.code)).toEqual([4, 4]);
    expect(b).toMatchObject({ result: 'limit', bound: 'depth', depth: 8, states: a?.['states'] });
    const full = grantcheck('explore', '--max-states', '5000', '--json', '--workers', '3');
    expect(full.code).toBe(4);
    const json = JSON.parse(full.out) as { bound: string; states: number };
    expect(json.bound).toBe('states');
    expect(json.states).toBeLessThanOrEqual(5000);
    // a bound met storing the keys another worker handed over: the depth of its level
    const small = ['--domains', '2', '--refs', '1', '--frames', '2', '--max-pin', '1'];
    const cut = [1, 2].map((w) => {
      const r = grantcheck(
        'explore',
        ...small,
        '--max-states',
        '224',
        '--json',
        '--workers',
        String(w),
      );
      const { result, bound, depth, states } = JSON.parse(r.out) as Record<string, unknown>;
      return { code: r.code, result, bound, depth, states };
    });
    expect(cut[1]).toEqual(cut[0]);
    expect(cut[0]).toMatchObject({ code: 4, bound: 'states', states: 224 });
  });

  it.each([
    // fewer states than workers: the first state's owner holds the one state
    [['--max-states', '1', '--symmetry'], { code: 4, bound: 'states', states: 1 }],
    [['--max-states', '1', '--depth', '0'], { code: 4, bound: 'depth', states: 1 }],
    // the split's shares reach the violation; one thread's bound stops short of it, and so does
    // the search in one thread that finds its path
    [
      ['--variant', 'end-access-ignores-mappings', '--max-states', '250'],
      { code: 4, bound: 'states', states: 250 },
    ],
  ])('%j on 3 workers: the bound of one thread', (flags, expected) => {
    const runs = [1, 3].map((w) => {
      const r = grantcheck('explore', ...flags, '--out', tmp(), '--json', '--workers', String(w));
      const json = JSON.parse(r.out) as Record<string, unknown>;
      const { result, bound, depth, states, transitions } = json;
      return { code: r.code, err: r.err, result, bound, depth, states, transitions };
    });
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toMatchObject({ ...expected, err: '' });
  });
});

describe('bad --workers and --shard values', () => {
  it.each([
    [['run', '--shard', '0/2'], '--shard: i = 0 is outside 1..2'],
    [['run', '--shard', '3/2'], '--shard: i = 3 is outside 1..2'],
    [['run', '--shard', 'x'], "--shard: 'x' is not i/n (e.g. 1/4)"],
    [['run', '--workers', '0'], '--workers: 0 is outside 1..256'],
    [['faults', '--shard', '2/1'], '--shard: i = 2 is outside 1..1'],
    [['faults', '--workers', 'x'], "--workers: 'x' is not a whole number"],
    [['explore', '--workers', '0'], '--workers: 0 is outside 1..256'],
    [
      ['explore', '--model', 'xen', '--conformance', '--workers', '0'],
      '--workers: 0 is outside 1..256',
    ],
    [
      ['explore', '--model', 'xen', '--subject', 'node x.js', '--workers', '2'],
      '--workers: a --subject is one process, checked from one thread',
    ],
  ])('%j: one usage line, exit 2', async (argv, message) => {
    const r = await cli(...argv);
    expect(r).toEqual({ code: 2, out: '', err: `grantcheck: ${message}\n` });
  });
});
