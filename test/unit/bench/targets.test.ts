// Issue 13's target lines (bench/targets.ts): each figure judged against its goal, in the right
// direction, and nothing the run did not measure counted as met.

import { describe, expect, it } from 'vitest';
import type { BenchRow, TargetLine } from '../../../bench/targets.ts';
import { GOALS, targetLines, targetSummary } from '../../../bench/targets.ts';
import type { RateRow } from '../../../bench/timing.ts';

const rate = (measure: string, wall: number, cpu: number): RateRow => ({
  measure,
  ops: 1000,
  seconds: 1000 / wall,
  opsPerSecond: wall,
  cpuSeconds: 1000 / cpu,
  opsPerCpuSecond: cpu,
});

const xenRow = (kind: string, extra: Record<string, number | string>): BenchRow => ({
  kind,
  model: `m-${kind}`,
  symmetry: 'handles',
  result: 'ok',
  states: 1000,
  seconds: 1,
  statesPerSec: 1000,
  bytesPerState: 50,
  ...extra,
});

const only = (lines: readonly TargetLine[], target: string): TargetLine[] =>
  lines.filter((l) => l.target === target);

describe('issue 13 target lines', () => {
  it('judges an "at least" goal by figure over goal', () => {
    const lines = targetLines({
      checked: rate('checked', 450_000, 150_000),
      explore: [],
      startup: [],
      spin: [],
    });
    expect(only(lines, 'fully checked ops/s').map((l) => [l.ratio, l.met])).toEqual([
      ['1.50', 'yes'],
      ['0.50', 'no'],
    ]);
  });

  it('judges `run` in process and as the built command, each by wall and by CPU', () => {
    const lines = targetLines({
      run: rate('in process', 100_000, 50_000),
      runCommand: rate('built', 250_000, 20_000),
      explore: [],
      startup: [],
      spin: [],
    });
    expect(only(lines, 'grantcheck run ops/s').map((l) => [l.row, l.ratio, l.met])).toEqual([
      ['in process, wall', '0.50', 'no'],
      ['in process, CPU', '0.25', 'no'],
      ['built, wall', '1.25', 'yes'],
      ['built, CPU', '0.10', 'no'],
    ]);
  });

  it('judges an "at most" goal by goal over figure', () => {
    const lines = targetLines({
      explore: [
        xenRow('xen basic', { seconds: 4, statesPerSec: 120_000, bytesPerState: 125 }),
        xenRow('xen basic command', { seconds: 10 }),
      ],
      startup: [
        { command: 'node -e 0 (the floor)', 'median ms': 900 },
        { command: 'grantcheck --version', 'median ms': 250 },
      ],
      spin: [],
    });
    expect(only(lines, 'basic preset whole').map((l) => [l.ratio, l.met])).toEqual([
      ['1.25', 'yes'],
      ['0.50', 'no'],
    ]);
    expect(only(lines, 'bytes per stored state').map((l) => [l.ratio, l.met])).toEqual([
      ['0.80', 'no'],
    ]);
    expect(only(lines, 'Xen explorer states/s').map((l) => l.met)).toEqual(['yes']);
    // node's own start-up is the floor, not a target
    expect(only(lines, 'start-up').map((l) => [l.row, l.ratio, l.met])).toEqual([
      ['grantcheck --version', '2.00', 'yes'],
    ]);
  });

  it('judges conformance rows against 30 000 states/s, not 100 000', () => {
    const lines = targetLines({
      explore: [
        xenRow('xen conformance', { statesPerSec: 45_000 }),
        xenRow('xen refinement', { statesPerSec: 1 }),
        xenRow('core', { statesPerSec: 1, bytesPerState: 1000 }),
        xenRow('core command', { statesPerSec: 1 }),
      ],
      startup: [],
      spin: [],
    });
    expect(only(lines, 'Xen explorer states/s with conformance').map((l) => l.met)).toEqual([
      'yes',
    ]);
    expect(only(lines, 'Xen explorer states/s')).toEqual([]);
    // the refinement row has no speed target; the core rows none of this issue's
    expect(only(lines, 'bytes per stored state').map((l) => l.row)).toEqual([
      'm-xen conformance [handles]',
      'm-xen refinement [handles]',
    ]);
  });

  it('reads a conformance search its budget stopped as longer than its seconds', () => {
    const lines = targetLines({
      explore: [xenRow('xen basic conformance', { result: 'limit (time)', seconds: 60.2 })],
      startup: [],
      spin: [],
    });
    const [l] = only(lines, 'basic preset whole with conformance');
    expect(l).toMatchObject({ figure: '> 60.2 s (stopped at 1,000 states)', met: 'no' });
    expect(l?.ratio).toBe(`< ${(GOALS.basicConformanceSeconds / 60.2).toFixed(2)}`);
  });

  it('counts what the run did not measure apart, never as met', () => {
    const lines = targetLines({
      explore: [xenRow('xen', { statesPerSec: 'n/a' })],
      startup: [],
      spin: { skipped: 'SPIN not installed (apt-get install spin)' },
    });
    const unmeasured = lines.filter((l) => l.met === 'not measured').map((l) => l.target);
    expect(unmeasured).toEqual([
      'fully checked ops/s',
      'grantcheck run ops/s', // in process
      'grantcheck run ops/s', // the built command
      'Xen explorer states/s',
      `core explorer ahead of SPIN from ${GOALS.spinFromStates.toLocaleString('en-US')} states`,
    ]);
    expect(lines.find((l) => l.target.startsWith('core'))?.figure).toContain('not installed');
    expect(targetSummary(lines)).toBe(
      'issue 13 targets: 1 of 1 lines met, 5 not measured on this machine',
    );
  });

  it('judges SPIN rows only from the issue threshold up, grantcheck / SPIN below 1 met', () => {
    const lines = targetLines({
      explore: [],
      startup: [],
      spin: [
        { config: 'small', states: GOALS.spinFromStates - 1, 'gc / SPIN total': 3 },
        { config: 'at', states: GOALS.spinFromStates, 'gc / SPIN total': 0.5 },
        { config: 'big', states: 10_000_000, 'gc / SPIN total': 1.25 },
      ],
    });
    expect(
      lines.filter((l) => l.target.startsWith('core')).map((l) => [l.row, l.ratio, l.met]),
    ).toEqual([
      ['at', '2.00', 'yes'],
      ['big', '0.80', 'no'],
    ]);
  });
});
