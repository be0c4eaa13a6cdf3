// Output files: whole or absent, leftovers of killed writers removed, output paths checked
// before any work with one reason each; a link written through, a device or FIFO never replaced.
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  outDirProblem,
  outFileProblem,
  removeStaleTemps,
  writeFileAtomic,
} from '../../../src/output/files.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'grantcheck-output-'));
}

/** A pid that is certainly not running: above the kernel's pid_max. */
const DEAD_PID = 2 ** 22 + 1;

describe('writeFileAtomic', () => {
  it('writes the whole text, creating the directory, and leaves no temporary file', () => {
    const dir = join(tmp(), 'a', 'b');
    writeFileAtomic(join(dir, 't.json'), 'hello\n');
    expect(readFileSync(join(dir, 't.json'), 'utf8')).toBe('hello\n');
    expect(readdirSync(dir)).toEqual(['t.json']);
  });
  it('removes the temporary files of a writer killed between write and rename', () => {
    const dir = tmp();
    const leftover = `.t.json.${DEAD_PID}.grantcheck-tmp`;
    writeFileSync(join(dir, leftover), 'half a tra');
    writeFileSync(join(dir, 'unrelated.tmp'), 'not ours');
    writeFileAtomic(join(dir, 'other.json'), '{}\n');
    expect(readdirSync(dir).sort()).toEqual(['other.json', 'unrelated.tmp']);
  });
  it("keeps a live writer's temporary file", () => {
    const dir = tmp();
    const live = `.t.json.${process.pid}.grantcheck-tmp`;
    writeFileSync(join(dir, live), 'in progress');
    expect(removeStaleTemps(dir)).toBe(0);
    expect(readdirSync(dir)).toEqual([live]);
  });
  it('writes through a symbolic link, and never replaces a device or a FIFO', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'real.json'), 'old');
    symlinkSync(join(dir, 'real.json'), join(dir, 'link.json'));
    writeFileAtomic(join(dir, 'link.json'), 'new');
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.json'), 'utf8')).toBe('new');
    // a link to a file not there yet: the file is made where it points, the link kept
    symlinkSync(join(dir, 'later.json'), join(dir, 'dangling.json'));
    writeFileAtomic(join(dir, 'dangling.json'), 'made');
    expect(lstatSync(join(dir, 'dangling.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'later.json'), 'utf8')).toBe('made');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(() => writeFileAtomic(join(dir, 'fifo'), 'x')).toThrow('is not a regular file');
    expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
  });
  it('leaves nothing behind when the rename fails (the target is a directory)', () => {
    const dir = tmp();
    mkdirSync(join(dir, 't.json'));
    expect(() => writeFileAtomic(join(dir, 't.json'), 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['t.json']);
  });
});

describe('output path checks', () => {
  it('accepts an existing directory, a new one below a writable directory, and a new file', () => {
    const dir = tmp();
    expect(outDirProblem(dir)).toBeNull();
    expect(outDirProblem(join(dir, 'new', 'deeper'))).toBeNull();
    expect(outFileProblem(join(dir, 'new', 'x.json'))).toBeNull();
    writeFileSync(join(dir, 'old.json'), '{}');
    expect(outFileProblem(join(dir, 'old.json'))).toBeNull();
    expect(readdirSync(dir).sort()).toEqual(['old.json']); // checking creates nothing
  });
  it('names what is wrong', () => {
    const dir = tmp();
    const file = join(dir, 'f');
    writeFileSync(file, '');
    expect(outDirProblem('')).toBe('the path is empty');
    expect(outFileProblem('')).toBe('the path is empty');
    expect(outDirProblem(file)).toBe(`${file} exists and is not a directory`);
    expect(outDirProblem(join(file, 'x'))).toBe(
      `${join(file, 'x')}: a part of the path is not a directory`,
    );
    expect(outFileProblem(dir)).toBe(`${dir} is a directory; give a file name`);
    expect(outFileProblem('/dev/null')).toBe(
      '/dev/null is not a regular file (a device, FIFO or socket)',
    );
    // /proc takes no new files, whoever asks (root ignores permission bits, not this)
    expect(outDirProblem('/proc/grantcheck-out')).toMatch(/^cannot create files in \/proc \(/);
  });
});
