// What the terminal shows of a failing step, as data: the model/impl side-by-side lines (laid
// out to the terminal's width by src/cli/views.ts), and the middle elision the tables use.

import { describeState } from '../model/index.ts';
import { differingRange } from '../model/contents.ts';
import { hex } from '../ops/text.ts';
import type { ModelState } from '../model/state.ts';
import type { StepRecord } from '../harness/run.ts';
import { formatResult } from '../ops/text.ts';

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

/** `text` in at most `width` characters: the middle replaced by '…' when it is longer. */
export function elideMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${text.slice(0, head)}…${tail > 0 ? text.slice(text.length - tail) : ''}`;
}
