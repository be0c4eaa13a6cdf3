// Text rendering for the terminal: the replay table, the coverage table, and the side-by-side
// model/impl view of a failing step. Pure functions from computed data to lines.

import { describeState } from '../model/index.ts';
import { differingRange } from '../model/contents.ts';
import { hex } from '../ops/text.ts';
import type { ModelState } from '../model/state.ts';
import type { StepRecord } from '../harness/run.ts';
import { formatResult } from '../ops/text.ts';
import type { ReplayRow } from '../trace/replay.ts';

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

export function renderReplayTable(rows: readonly ReplayRow[]): string[] {
  const opWidth = Math.min(60, Math.max(2, ...rows.map((r) => r.op.length)));
  const resWidth = Math.min(
    40,
    Math.max(5, ...rows.map((r) => Math.max(r.model.length, r.impl.length))),
  );
  const lines = [
    `${pad('#', 4)} ${pad('op', opWidth)}  ${pad('model', resWidth)}  ${pad('impl', resWidth)}  changes`,
  ];
  for (const r of rows) {
    const mark = r.failure ? '>' : ' ';
    const same = r.model === r.impl ? ' ' : '≠';
    const changes = r.changes.length === 0 ? '-' : (r.changes[0] ?? '');
    lines.push(
      `${mark}${pad(String(r.step), 3)} ${pad(clip(r.op, opWidth), opWidth)}  ${pad(clip(r.model, resWidth), resWidth)} ${same}${pad(clip(r.impl, resWidth), resWidth)}  ${changes}`,
    );
    const indent = ' '.repeat(4 + opWidth + 2 * resWidth + 7);
    for (const c of r.changes.slice(1)) lines.push(`${indent}${c}`);
    if (r.failure) lines.push(`     ^ FAILED: ${r.failure}`);
  }
  return lines;
}

/** Model and impl views of one step, side by side; differing lines marked with '≠'. */
export function renderSideBySide(step: StepRecord): string[] {
  return renderStates(step.modelState, step.implState, [
    `result: ${formatResult(step.modelResult)}`,
    `result: ${formatResult(step.implResult)}`,
  ]);
}

/** Where the model's and the impl's bytes of a page part: one line per page that differs. */
function contentsDifferences(model: ModelState, impl: ModelState): string[] {
  if (model.contents === impl.contents) return [];
  const mfns = [...new Set([...model.contents.keys(), ...impl.contents.keys()])];
  return mfns
    .sort((x, y) => x - y)
    .flatMap((mfn) => {
      const range = differingRange(model.contents.get(mfn), impl.contents.get(mfn));
      return range === null
        ? []
        : [`mfn ${hex(mfn)}: bytes ${range.start}..${range.end - 1} differ`];
    });
}

/** What the side-by-side view shows of one step, as data (the CLI lays it out to its width). */
export interface SideBySide {
  /** The differing lines: model's and impl's, paired in order ('' where one side has fewer). */
  readonly pairs: readonly (readonly [string, string])[];
  /** The pages whose bytes differ, one line each. */
  readonly contents: readonly string[];
  /** How many lines are the same on both sides (not shown). */
  readonly same: number;
}

export function sideBySide(step: StepRecord): SideBySide {
  return statesSideBySide(step.modelState, step.implState, [
    `result: ${formatResult(step.modelResult)}`,
    `result: ${formatResult(step.implResult)}`,
  ]);
}

function statesSideBySide(model: ModelState, impl: ModelState, heads: [string, string]) {
  const left = [heads[0], ...describeState(model)];
  const right = [heads[1], ...describeState(impl)];
  const rightSet = new Set(right);
  const leftSet = new Set(left);
  const onlyLeft = left.filter((l) => !rightSet.has(l));
  const onlyRight = right.filter((r) => !leftSet.has(r));
  const pairs: [string, string][] = [];
  for (let i = 0; i < Math.max(onlyLeft.length, onlyRight.length); i++) {
    pairs.push([onlyLeft[i] ?? '', onlyRight[i] ?? '']);
  }
  return { pairs, contents: contentsDifferences(model, impl), same: left.length - onlyLeft.length };
}

/** Only the lines that differ are shown, with the count of identical ones. */
function renderStates(model: ModelState, impl: ModelState, heads: [string, string]): string[] {
  const { pairs, contents, same } = statesSideBySide(model, impl, heads);
  const width = Math.min(70, Math.max(20, ...pairs.map(([l]) => l.length)));
  const lines = [`  ${pad('MODEL', width)}   IMPL (abstracted)`];
  for (const [l, r] of pairs) lines.push(`≠ ${pad(clip(l, width), width)}   ${r}`);
  for (const line of contents) lines.push(`≠ ${line}`);
  if (same > 0) lines.push(`  (${same} identical line${same === 1 ? '' : 's'} not shown)`);
  return lines;
}

/** `text` in at most `width` characters: the middle replaced by '…' when it is longer. */
export function elideMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${text.slice(0, head)}…${tail > 0 ? text.slice(text.length - tail) : ''}`;
}
