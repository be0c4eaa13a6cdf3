// The CLI's help against its documentation and its commands (issue 15 §4): the README's synopsis
// lists every flag of every command that --help lists, and no other; every flag that takes a
// choice lists its choices (commander's .choices()), the same ones the command accepts; a value
// outside them is one line in the CLI's words.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_VARIANTS } from '../../src/cli/commands/explore.ts';
import { LIBRARY_PASS_SHARE } from '../../src/cli/commands/run.ts';
import { MODES } from '../../src/cli/commands/interleave.ts';
import { CHOICES, main } from '../../src/cli/main.ts';
import { XEN_PRESETS } from '../../src/xenExplore/index.ts';
import { SUITE_NAMES } from '../../properties/suites.ts';
import { GUEST_PROFILES } from '../../src/config.ts';
import { cli } from '../support/cli.ts';

const root = join(import.meta.dirname, '..', '..');

async function help(...argv: string[]): Promise<string> {
  let out = '';
  const code = await main([...argv, '--help'], {
    out: (t) => void (out += t),
    err: () => {},
    interactive: false,
  });
  expect(code).toBe(0);
  return out;
}

/** The commands --help lists. */
async function commands(): Promise<string[]> {
  const text = await help();
  const section = text.slice(text.indexOf('Commands:'));
  return [...section.matchAll(/^ {2}([a-z]+)\b/gm)].flatMap((m) =>
    m[1] && m[1] !== 'help' ? [m[1]] : [],
  );
}

/** The long flags a command's --help lists (the options' own lines, two spaces in). */
function helpFlags(text: string): string[] {
  const flags = [...text.matchAll(/^ {2}(?:-\w, )?(--[a-z][\w-]*)/gm)].map((m) => m[1] ?? '');
  return [...new Set(flags)].filter((f) => f !== '--help').sort();
}

/** The README's synopsis: each command's flags, over all its lines (explore has two forms). */
function synopsis(): Map<string, string[]> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const from = readme.indexOf('## The CLI');
  const block = /```\n([\s\S]*?)```/.exec(readme.slice(from))?.[1] ?? '';
  const byCommand = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of block.split('\n')) {
    const head = /^grantcheck ([a-z]+)/.exec(line);
    if (head?.[1]) {
      current = byCommand.get(head[1]) ?? new Set();
      byCommand.set(head[1], current);
    }
    for (const m of line.matchAll(/--[a-z][\w-]*/g)) current?.add(m[0]);
  }
  return new Map([...byCommand].map(([c, f]) => [c, [...f].sort()]));
}

describe("the README's synopsis", () => {
  it('has every command of --help, and no other', async () => {
    expect([...synopsis().keys()].sort()).toEqual((await commands()).sort());
  });
  it.each(['run', 'replay', 'view', 'exec', 'faults', 'interleave', 'explore', 'list'])(
    '%s: lists every flag of its --help, and no other',
    async (command) => {
      expect(synopsis().get(command)).toEqual(helpFlags(await help(command)));
    },
  );
});

describe('run --profile', () => {
  it('says its default, all, in --help and in the README, as the command does', async () => {
    const text = (await help('run')).replace(/\s+/g, ' ');
    expect(text).toMatch(
      /--profile <name> .*default: strict, then each library on 1\/20 of the runs/,
    );
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme.replace(/\s+/g, ' ')).toContain('`--profile` defaults to `all`');
    expect(LIBRARY_PASS_SHARE).toBe(20);
  });
});

describe('flags that take a choice', () => {
  it("offer the commands' own lists", () => {
    expect(CHOICES.suite).toEqual([...SUITE_NAMES, 'all']);
    expect(CHOICES.profile).toEqual([...GUEST_PROFILES, 'all']);
    expect(CHOICES.mode).toEqual(MODES);
    expect(CHOICES.variant).toEqual(CORE_VARIANTS);
    expect(CHOICES.preset).toEqual(Object.keys(XEN_PRESETS));
  });
  it.each([
    ['run', '--suite', CHOICES.suite],
    ['run', '--profile', CHOICES.profile],
    ['run', '--format', CHOICES.format],
    ['interleave', '--mode', CHOICES.mode],
    ['explore', '--model', CHOICES.model],
    ['explore', '--variant', CHOICES.variant],
    ['explore', '--alphabet', CHOICES.alphabet],
    ['explore', '--preset', CHOICES.preset],
  ])('%s %s lists its choices in --help', async (command, flag, choices) => {
    const text = (await help(command)).replace(/\s+/g, ' ');
    const listed = choices.map((c) => `"${c}"`).join(', ');
    expect(text).toMatch(new RegExp(`${flag} <\\w+> .*?\\(choices: ${listed}[,)]`));
  });
  it.each([
    [
      ['run', '--suite', 'nope'],
      "--suite: 'nope' is not one of conformance, protocol, death, backends, all",
    ],
    [['interleave', '--mode', 'x'], "--mode: 'x' is not one of random, exhaustive, both"],
    [['explore', '--alphabet', 'some'], "--alphabet: 'some' is not one of full, protocol"],
  ])('%j: one line, exit 2', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`grantcheck: ${message}\n`);
  });
});
