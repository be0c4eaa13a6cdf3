// An interleaved run as a kernel developer reads a race: one column per actor, one row per
// step, each cell saying what the actor did in that step (the op it began, the shared access
// or lock it went through, the flags of the entry after it, the result when its op returned).

import { escapeText } from '../input/index.ts';
import { elideMiddle } from '../report/render.ts';
import type { Pause } from '../impl/index.ts';
import { formatOp, formatResult } from '../ops/text.ts';
import type { StepEvent } from './run.ts';
import type { Scenario } from './scenario.ts';
import { actorName } from './scenario.ts';

/** What one step did, for its actor's column. */
export function describeStep(e: StepEvent, scenario: Scenario): string {
  const op = scenario.actors[e.actor]?.ops[e.opIndex];
  const parts: string[] = [];
  if (e.pause === 'begin') parts.push(op ? formatOp(op) : `op ${e.opIndex}`);
  else if (e.arrived === true && e.pause.kind === 'lock') parts.push(`arrive ${e.pause.lock}`);
  else parts.push(describePause(e.pause));
  if (e.flagsAfter !== undefined) parts.push(`flags=0x${e.flagsAfter.toString(16)}`);
  if (e.result !== undefined) parts.push(`→ ${formatResult(e.result)}`);
  return parts.join(' ');
}

export function describePause(p: Pause): string {
  switch (p.kind) {
    case 'shared':
      return `${p.access} ${p.field} d${p.dom}:${p.ref}`;
    case 'lock':
      return `${p.action === 'acquire' ? 'lock' : 'unlock'} ${p.lock}${p.mode === 'read' ? ' (r)' : ''}`;
    case 'wait':
      return `spin d${p.dom}:${p.ref} until 0x${p.mask.toString(16)}`;
  }
}

/** The table's lines: a header naming each actor's domain, then one row per step. A column is
 * as wide as its widest cell, up to `maxWidth`; a wider cell loses its middle, never its ends. */
export function renderColumns(
  events: readonly StepEvent[],
  scenario: Scenario,
  maxWidth = 60,
  failingStep?: number,
): string[] {
  const n = scenario.actors.length;
  const longest = events.reduce(
    (w, e) => Math.max(w, escapeText(describeStep(e, scenario)).length),
    12,
  );
  const width = Math.min(maxWidth, longest);
  const cell = (text: string) => elideMiddle(escapeText(text), width).padEnd(width);
  const header = `step | ${scenario.actors.map((a, i) => cell(`a${i} (${actorName(a)})`)).join(' | ')}`;
  const lines = [header, '-'.repeat(header.length)];
  events.forEach((e, i) => {
    const cells: string[] = [];
    for (let a = 0; a < n; a++) cells.push(cell(a === e.actor ? describeStep(e, scenario) : ''));
    const mark = i === failingStep ? '>' : ' ';
    lines.push(`${mark}${String(i + 1).padStart(3)} | ${cells.join(' | ')}`.trimEnd());
  });
  return lines;
}
