// The newc cpio writer (src/subject/xen/cpio.ts): exact bytes for one member, and GNU cpio
// (when installed) lists and extracts what it wrote, modes and contents included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CpioEntry } from '../../src/subject/xen/cpio.ts';
import { writeCpio } from '../../src/subject/xen/cpio.ts';

const ENTRIES: CpioEntry[] = [
  { kind: 'file', name: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
  { kind: 'dir', name: 'dev' },
  { kind: 'dir', name: 'modules' },
  { kind: 'file', name: 'modules/order', data: Buffer.from('a.ko\nb.ko\n') },
  { kind: 'file', name: 'modules/empty', data: new Uint8Array(0) },
  { kind: 'file', name: 'modules/odd', data: Buffer.from([1, 2, 3, 4, 5]) },
];

// GNU cpio is the independent reader; CI (GRANTCHECK_REQUIRE_XEN=1) installs it, elsewhere its
// absence is said in one line.
const hasCpio = spawnSync('cpio', ['--version']).status === 0;
const runCpio = hasCpio || process.env['GRANTCHECK_REQUIRE_XEN'] === '1';
if (!runCpio)
  console.log('cpio round trip did not run: no cpio; install with: apt-get install -y cpio');

describe('writeCpio', () => {
  it('writes the newc header, name and padding of a member, then the trailer', () => {
    const bytes = writeCpio([{ kind: 'file', name: 'ab', data: Buffer.from('xyz'), mode: 0o600 }]);
    const head = bytes.subarray(0, 110).toString('ascii');
    expect(head).toBe(
      '070701' +
        ['1', '8180', '0', '0', '1', '0', '3', '0', '0', '0', '0', '3', '0']
          .map((f) => f.padStart(8, '0'))
          .join(''),
    );
    // name "ab\0" ends at 113, padded to 116; data "xyz" padded to 120; then the trailer
    expect(bytes.subarray(110, 116)).toEqual(Buffer.from('ab\0\0\0\0', 'latin1'));
    expect(bytes.subarray(116, 120)).toEqual(Buffer.from('xyz\0', 'latin1'));
    expect(bytes.subarray(120, 126).toString()).toBe('070701');
    expect(bytes.subarray(120 + 110, 120 + 110 + 11).toString()).toBe('TRAILER!!!\0');
    expect(bytes.length % 4).toBe(0);
  });

  it('refuses absolute and empty names', () => {
    expect(() => writeCpio([{ kind: 'dir', name: '/dev' }])).toThrow(/bad member name/);
    expect(() => writeCpio([{ kind: 'dir', name: '' }])).toThrow(/bad member name/);
  });

  it.skipIf(!runCpio)('is listed and extracted by GNU cpio as written', () => {
    const archive = writeCpio(ENTRIES);
    const listed = spawnSync('cpio', ['-it', '--quiet'], { input: archive, encoding: 'utf8' });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual(ENTRIES.map((e) => e.name));
    const dir = mkdtempSync(join(tmpdir(), 'grantcheck-cpio-'));
    try {
      const extracted = spawnSync('cpio', ['-id', '--quiet', '--no-absolute-filenames'], {
        input: archive,
        cwd: dir,
        encoding: 'utf8',
      });
      expect(extracted.status, extracted.stderr).toBe(0);
      for (const e of ENTRIES) {
        const st = statSync(join(dir, e.name));
        if (e.kind === 'dir') {
          expect(st.isDirectory(), e.name).toBe(true);
        } else {
          expect(st.mode & 0o777, e.name).toBe(e.mode ?? 0o644);
          expect(readFileSync(join(dir, e.name)), e.name).toEqual(Buffer.from(e.data));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
