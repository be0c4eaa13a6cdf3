// `grantcheck explore` end to end, in-process: summaries, exit codes (0 ok, 1 violation,
// 2 usage, 4 limit), traces that replay, --json.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'grantcheck-explore-'));

describe('grantcheck explore', () => {
  it('explores the core model of the issue and reports its state count and rate', async () => {
    const r = await cli(
      'explore',
      '--model',
      'core',
      '--domains',
      '2',
      '--refs',
      '2',
      '--frames',
      '3',
      '--max-pin',
      '2',
    );
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/states {7}1876584 \(max depth 29\)/);
    expect(r.out).toMatch(/transitions {2}17217696/);
    expect(r.out).toMatch(/rate {9}\d+ states\/s/);
    expect(r.out).toMatch(/result {7}OK/);
  });

  it('renames domains 1..D-1 at three domains or more, not with conformance', async () => {
    const depth3 = ['explore', '--model', 'xen', '--alphabet', 'full', '--depth'];
    const three = await cli(...depth3, '3', '--domains', '3');
    expect(three.code).toBe(4);
    // 17 186 handle orbits, 8 717 orbits under domain renaming too (docs/explore.md)
    expect(three.out).toMatch(/states {7}8717 \(max depth 3\)/);
    expect(three.out).toMatch(/\n {15}domains 1\.\.2 renamed with their frames \(always on\)\n/);
    const two = await cli(...depth3, '1', '--domains', '2');
    const checked = await cli(...depth3, '1', '--domains', '3', '--conformance');
    for (const r of [two, checked]) {
      expect(r.code).toBe(4);
      expect(r.out).toMatch(/symmetry {5}maptrack handle renaming/);
      expect(r.out).not.toMatch(/renamed with their frames/);
    }
  });

  it('a hit bound is the limit outcome, exit 4', async () => {
    const r = await cli('explore', '--max-states', '1000');
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/LIMIT: limit reached at depth \d+ after 1000 states \(states bound\)/);
    const d = await cli('explore', '--model', 'xen', '--depth', '2', '--json');
    expect(d.code).toBe(4);
    expect(JSON.parse(d.out)).toMatchObject({ result: 'limit', bound: 'depth', depth: 2 });
  });

  it('--time-budget stops a slow search (Xen-level, conformance) on time', async () => {
    const r = await cli(
      'explore',
      '--model',
      'xen',
      '--alphabet',
      'full',
      '--conformance',
      '--time-budget',
      '1',
      '--json',
    );
    expect(r.code).toBe(4);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ result: 'limit', bound: 'time' });
    expect(j.elapsedMs).toBeGreaterThanOrEqual(1000);
    // Wall time on a shared machine: the 1 s promise itself is pinned on CPU time in
    // test/unit/explore/bounds.test.ts; the old check (every 1,024 states) took 5 s and more.
    expect(j.elapsedMs).toBeLessThan(3500);
  });

  it('--max-memory bounds the resident memory of the whole process, and says where it stood', async () => {
    const bound = Math.ceil(process.memoryUsage.rss() / 2 ** 20) + 16;
    const args = ['explore', '--domains', '2', '--refs', '2', '--frames', '4'];
    const r = await cli(...args, '--max-memory', String(bound));
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/LIMIT: limit reached at depth \d+ after \d+ states \(memory bound\)/);
    expect(r.out).toMatch(
      new RegExp(`resident memory (would reach )?[0-9.]+ MiB.*, past the ${bound}\\.0 MiB bound`),
    );
    const again = Math.ceil(process.memoryUsage.rss() / 2 ** 20) + 16;
    const j = JSON.parse((await cli(...args, '--max-memory', String(again), '--json')).out);
    expect(j).toMatchObject({
      result: 'limit',
      bound: 'memory',
      memoryStop: { measure: 'rss', limitBytes: again * 2 ** 20 },
    });
    expect(j.peakRssBytes).toBeLessThanOrEqual((again + 16) * 2 ** 20);
  });

  it('--max-memory at or below the RSS the process already has is a usage error', async () => {
    const r = await cli('explore', '--max-memory', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^grantcheck: --max-memory: 1 MiB is not above this process's resident memory before the search \(\d+ MiB\); the bound is on the whole process's RSS\n$/,
    );
  });

  it.each([
    [['--depth', 'abc'], "--depth: 'abc' is not a whole number"],
    [['--time-budget', '-1'], "--time-budget: '-1' is not a number of seconds"],
    [['--max-memory', '0'], '--max-memory: 0 is outside 1..1048576'],
    [['--model', 'xyz'], "--model: 'xyz' is not one of core, xen"],
    [['--conformance'], '--conformance applies to --model xen only'],
    [
      ['--model', 'xen', '--alphabet', 'full', '--refinement'],
      '--refinement needs --alphabet protocol (docs/explore.md, "Refinement")',
    ],
    [['--variant', 'nope'], "--variant: 'nope' is not one of correct, end-access-ignores-mappings"],
    [['--preset', 'corners'], '--preset applies to --model xen only'],
    [['--model', 'xen', '--preset', 'nope'], "--preset: 'nope' is not one of corners, basic"],
    [['--model', 'xen', '--batch', 'x'], "--batch: 'x' is not a whole number"],
    [['--model', 'xen', '--batch', '5'], '--batch: 5 is outside 1..4'],
    [['--model', 'xen', '--batch', '2'], 'batches longer than 1 need the full alphabet'],
    [
      ['--model', 'xen', '--extensions', 'map_bursts,bogus'],
      "--extensions: no extension 'bogus' (known: hostile_writes, split_unmaps, copies, map_bursts, overflow_maps, deaths)",
    ],
    [
      ['--model', 'xen', '--extensions', 'hostile-writes'],
      'extensions need the full alphabet (hostile_writes; map_bursts, overflow_maps and deaths do not)',
    ],
    [['--model', 'xen', '--max-pages-slack', '17'], '--max-pages-slack: 17 is outside 0..16'],
    [
      ['--model', 'xen', '--max-pages-slack', '-1'],
      "--max-pages-slack: '-1' is not a whole number",
    ],
    [['--model', 'xen', '--kinds', 'none'], '--kinds: name at least one op kind'],
    // a kind the alphabet never issues is refused, not cut to a search of the rest
    [
      ['--model', 'xen', '--kinds', 'copy,grant_access'],
      '--kinds: the protocol alphabet here has no copy op (copy needs --alphabet full --extensions copies)',
    ],
    [
      ['--model', 'xen', '--kinds', 'swap_grant_ref'],
      '--kinds: the protocol alphabet here has no swap_grant_ref op (swap_grant_ref needs --alphabet full)',
    ],
    [
      // every kind is in the alphabet, but none changes the initial state without another
      ['--model', 'xen', '--kinds', 'map_grant_ref,unmap_grant_ref'],
      '--kinds map_grant_ref,unmap_grant_ref: no op of these kinds changes the initial state, so there is nothing to explore (an unmap needs a map, a map a grant, a transfer an offer: add their kinds)',
    ],
    [
      ['--model', 'xen', '--alphabet', 'full', '--kinds', 'read_mapped'],
      '--kinds: the full alphabet here has no read_mapped op (read_mapped is in no Xen-level alphabet: grantcheck run checks it)',
    ],
    [
      ['--model', 'xen', '--symmetry'],
      '--symmetry applies to --model core only (the Xen-level search always renames handles)',
    ],
    [['--subject', 'xen'], '--subject applies to --model xen only'],
    [
      ['--model', 'xen', '--refinement', '--domains', '3', '--refs', '2', '--pages', '2'],
      '--refinement: 3 domains x 2 refs x 6 frames (maxPin 1) needs 55 bits per state; packed states hold 53',
    ],
    [
      ['--model', 'xen', '--fault', 'linux-reserved-ref-freed'],
      '--fault linux-reserved-ref-freed: its bug is in the linux guest library, which the Xen-level explorer does not run (grantcheck run --fault linux-reserved-ref-freed checks it)',
    ],
    [
      ['--model', 'xen', '--kinds', 'map'],
      expect.stringMatching(
        /^--kinds: no kind 'map' \(known: grant_access, .*; guest-library kinds, which need a non-strict profile and are not explored: alloc_refs, free_ref, end_access_deferred, tick, free_page\)\n$/,
      ),
    ],
    [
      ['--model', 'xen', '--kinds', 'grant_access,end-access-deferred'],
      "--kinds: 'end_access_deferred' is a guest-library op kind: it needs a non-strict profile (grantcheck run --profile), which the Xen-level explorer does not search",
    ],
    // each refusal names what was typed: the preset, not flags it was never given
    [
      ['--model', 'xen', '--preset', 'corners', '--refinement'],
      '--refinement checks one-element ops: not with --preset corners (its --extensions map_bursts,overflow_maps; --extensions none drops them)',
    ],
    [
      ['--model', 'xen', '--batch', '2', '--refinement'],
      '--refinement checks one-element ops: not with --batch 2',
    ],
    [
      ['--model', 'xen', '--alphabet', 'full', '--extensions', 'copies', '--refinement'],
      '--refinement needs --alphabet protocol (docs/explore.md, "Refinement")',
    ],
    [
      ['--model', 'xen', '--extensions', 'map_bursts', '--refinement'],
      '--refinement checks one-element ops: not with --extensions map_bursts',
    ],
    [
      ['--replay', 'any.json', '--domains', '3', '--symmetry'],
      '--replay re-runs the bounds recorded in any.json: not with --domains 3, --symmetry (only --variant and --json; explore without --replay to search other bounds)',
    ],
    [
      ['--replay', 'any.json', '--model', 'xen', '--depth', '2'],
      '--replay re-runs the bounds recorded in any.json: not with --model xen, --depth 2 (only --variant and --json; explore without --replay to search other bounds)',
    ],
    // flags with a default (commander's): refused when typed, even at the default's value
    [
      ['--replay', 'any.json', '--out', 'traces', '--format', 'itf'],
      '--replay re-runs the bounds recorded in any.json: not with --out traces, --format itf (only --variant and --json; explore without --replay to search other bounds)',
    ],
    [
      ['--replay', 'any.json', '--model', 'core', '--format', 'json'],
      '--replay re-runs the bounds recorded in any.json: not with --model core, --format json (only --variant and --json; explore without --replay to search other bounds)',
    ],
  ])('a malformed bound or flag %j is one usage line, exit 2', async (args, message) => {
    const r = await cli('explore', ...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    if (typeof message === 'string') expect(r.err).toBe(`grantcheck: ${message}\n`);
    else {
      expect(r.err).toMatch(/^grantcheck: [^\n]*\n$/);
      expect(r.err.slice('grantcheck: '.length)).toEqual(message);
    }
  });

  it('--preset corners: a small search that completes, with its state count pinned', async () => {
    const r = await cli('explore', '--model', 'xen', '--preset', 'corners', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      model:
        'xen(D=2,R=1,P=1,MAXPIN=0,protocol,+map_bursts,+overflow_maps,SLACK=0) grant_access,map_grant_ref,grant_transfer,transfer',
      preset: 'corners',
      result: 'ok',
      // with the quotients (src/xenExplore/quotients.ts); 1072 / 24304 / 7 keyed exactly
      states: 688,
      transitions: 15592,
      maxDepth: 6,
    });
    // a flag beside the preset overrides its one value
    const cut = await cli(
      'explore',
      '--model',
      'xen',
      '--preset',
      'corners',
      '--kinds',
      'grant_transfer,transfer',
      '--json',
    );
    expect(JSON.parse(cut.out)).toMatchObject({ result: 'ok', states: 28 });
  });

  it('--preset basic: the full alphabet without swaps and the PTE surface', async () => {
    const r = await cli('explore', '--model', 'xen', '--preset', 'basic', '--depth', '3', '--json');
    expect(r.code).toBe(4);
    expect(JSON.parse(r.out)).toMatchObject({
      model:
        'xen(D=2,R=1,P=1,MAXPIN=1,full) grant_access,end_access,grant_transfer,end_transfer,map_grant_ref,unmap_grant_ref,transfer,setup_table,query_size',
      preset: 'basic',
      result: 'limit',
      // with the quotients; test/unit/xenExplore/basicPreset.test.ts pins the whole space
      states: 1146,
    });
    const full = await cli(
      'explore',
      '--model',
      'xen',
      '--alphabet',
      'full',
      '--depth',
      '3',
      '--json',
    );
    expect(JSON.parse(full.out).states).toBeGreaterThan(1146);
  });

  it.each([
    ['xsa-385-transfer-past-max-pages', 2],
    ['pin-overflow-all-counters', 3],
    ['no-space-as-no-device-space', 3],
  ])(
    '--preset corners finds %s in a trace that replays; the default bounds, as deep, do not',
    async (fault, steps) => {
      const plain = await cli('explore', '--model', 'xen', '--fault', fault, '--depth', '3');
      expect(plain.code).toBe(4);
      expect(plain.out).toMatch(/LIMIT: limit reached at depth 3 after \d+ states \(depth bound\)/);
      const out = tmp();
      const r = await cli(
        'explore',
        '--model',
        'xen',
        '--preset',
        'corners',
        '--fault',
        fault,
        '--out',
        out,
      );
      expect(r.code).toBe(1);
      expect(r.out).toMatch(new RegExp(`VIOLATION: result mismatch after ${steps} steps`));
      const file = join(out, `explore-xen-D2R1P1M0-protocol-corners-${fault}.json`);
      const trace = JSON.parse(readFileSync(file, 'utf8'));
      // the trace rebuilds the same model: max_pages from its config, the rest recorded
      expect(trace.config).toMatchObject({ maxPagesSlack: 0, maxMaptrackFrames: 1 });
      expect(trace.origin.bounds).toMatchObject({
        preset: 'corners',
        extensions: 'map_bursts,overflow_maps',
        maxPagesSlack: 0,
        maxPin: 0,
        batch: 1,
      });
      const replay = await cli('replay', file);
      expect(replay.code).toBe(1);
      expect(replay.out).toMatch(
        new RegExp(`result: FAILS \\(recorded: violation at step ${steps}, same\\)`),
      );
      expect((await cli('replay', file, '--fault', 'none')).code).toBe(0);
    },
  );

  it('the broken core variant: 3 steps, a core trace, and its replay command', async () => {
    const out = tmp();
    const r = await cli('explore', '--variant', 'end-access-ignores-mappings', '--out', out);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/VIOLATION: free-entry-unmapped after 3 steps/);
    const file = join(out, 'explore-core-D2R2F3M2-end-access-ignores-mappings.json');
    expect(existsSync(file)).toBe(true);
    expect(r.out).toContain(`reproduce:     npx grantcheck replay ${file}`);
    const replay = await cli('explore', '--replay', file);
    expect(replay.code).toBe(1);
    expect(replay.out).toMatch(/result: FAILS \(same as recorded\)/);
    const fixed = await cli('explore', '--replay', file, '--variant', 'correct');
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/NOT ENABLED/);
  });

  it('the Xen-level model with conformance and refinement: zero mismatches', async () => {
    const r = await cli('explore', '--model', 'xen', '--conformance', '--refinement', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      result: 'ok',
      states: 6129,
      transitions: 164224,
      conformance: { checked: 164224, mismatches: 0 },
      refinement: { checked: 164224, stutters: 130616 },
    });
    // 10-13 s of CPU alone; on a loaded 2-core machine beside the other test files, past 60 s
  }, 180_000);

  it("a violation's counts take its failing transition once, not again as its path is rebuilt", async () => {
    const r = await cli(
      ...['explore', '--model', 'xen', '--conformance', '--refinement'],
      ...['--fault', 'xsa-224-devaddr-zero', '--json', '--out', tmp()],
    );
    expect(r.code).toBe(1);
    // Rebuilding the path, the explorer checks the failing parent's steps into the failing
    // child's orbit until one fails: 13 here, 12 of which pass conformance and go on to
    // refinement. They were counted (579 and 577).
    expect(JSON.parse(r.out)).toMatchObject({
      result: 'violation',
      transitions: 566,
      conformance: { checked: 566, mismatches: 1 },
      // the last fails conformance: refinement, checked after it, never sees it
      refinement: { checked: 565 },
    });
  });

  it('a fault found at the Xen level writes a normal trace that grantcheck replay accepts', async () => {
    const out = tmp();
    const r = await cli(
      'explore',
      '--model',
      'xen',
      '--alphabet',
      'full',
      '--fault',
      'xsa-230-status-host-only',
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/VIOLATION: state mismatch after 3 steps/);
    const file = join(out, 'explore-xen-D2R1P1M1-full-xsa-230-status-host-only.json');
    expect(r.out).toContain(`reproduce:     npx grantcheck replay ${file}`);
    const replay = await cli('replay', file);
    expect(replay.code).toBe(1);
    expect(replay.out).toMatch(/result: FAILS \(recorded: violation at step 3, same\)/);
    expect((await cli('replay', file, '--fault', 'none')).code).toBe(0);
  });
});
