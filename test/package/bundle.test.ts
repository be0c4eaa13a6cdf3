// How `npm run build` writes dist/cli/ (bin/build-cli.ts `writeBundle`): in place, because a
// build may run while other processes run the command (test files run side by side).
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliBundle, writeBundle } from '../../bin/build-cli.ts';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'grantcheck-bundle-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, text: string) => ({
  path: join(dir, name),
  contents: new TextEncoder().encode(text),
});
const LONG_AGO = new Date('2020-01-01T00:00:00Z');

describe('writeBundle', () => {
  it('leaves an unchanged file untouched, replaces a changed one and removes the stale ones', () => {
    writeFileSync(join(dir, 'chunk-SAME.js'), 'same');
    utimesSync(join(dir, 'chunk-SAME.js'), LONG_AGO, LONG_AGO);
    const inode = statSync(join(dir, 'chunk-SAME.js')).ino;
    writeFileSync(join(dir, 'main.js'), 'import "./chunk-OLD.js"');
    writeFileSync(join(dir, 'chunk-OLD.js'), 'old');

    writeBundle(dir, [
      file('main.js', 'import "./chunk-NEW.js"'),
      file('chunk-SAME.js', 'same'),
      file('chunk-NEW.js', 'new'),
    ]);

    expect(readdirSync(dir).sort()).toEqual(['chunk-NEW.js', 'chunk-SAME.js', 'main.js']);
    expect(statSync(join(dir, 'chunk-SAME.js')).mtime).toEqual(LONG_AGO);
    expect(statSync(join(dir, 'chunk-SAME.js')).ino).toBe(inode);
    expect(readFileSync(join(dir, 'main.js'), 'utf8')).toBe('import "./chunk-NEW.js"');
    expect(readFileSync(join(dir, 'chunk-NEW.js'), 'utf8')).toBe('new');
  });

  it('writes the entries last: a chunk it cannot write leaves the old entries in place', () => {
    writeFileSync(join(dir, 'main.js'), 'old main');
    writeFileSync(join(dir, 'worker.js'), 'old worker');
    mkdirSync(join(dir, 'chunk-NEW.js')); // a rename onto a directory fails
    expect(() =>
      writeBundle(dir, [
        file('main.js', 'new main'),
        file('worker.js', 'new worker'),
        file('chunk-NEW.js', 'new'),
      ]),
    ).toThrow();
    expect(readFileSync(join(dir, 'main.js'), 'utf8')).toBe('old main');
    expect(readFileSync(join(dir, 'worker.js'), 'utf8')).toBe('old worker');
  });

  it('makes the directory when there is none', () => {
    rmSync(dir, { recursive: true });
    writeBundle(dir, [file('main.js', 'main')]);
    expect(readdirSync(dir)).toEqual(['main.js']);
  });
});

describe('the bundle the tests run', () => {
  it("is today's sources' (vitest's globalSetup rebuilds dist/cli/ before any test file)", async () => {
    const files = await cliBundle();
    expect(files.map((f) => basename(f.path))).toContain('main.js');
    const outdir = join(import.meta.dirname, '..', '..', 'dist', 'cli');
    expect(readdirSync(outdir).sort()).toEqual(files.map((f) => basename(f.path)).sort());
    for (const f of files) {
      expect(readFileSync(f.path).equals(f.contents), `${basename(f.path)} is stale`).toBe(true);
    }
  });
});
