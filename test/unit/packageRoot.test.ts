// The package's root (src/packageRoot.ts), found alike from every form the code runs in.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/packageRoot.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('packageRoot', () => {
  it("finds the package from its sources, tsc's dist/src and dist/bench, and the bundled dist/cli", () => {
    const forms = [
      'src/subject/xen',
      'bench',
      'dist/src/subject/xen',
      'dist/bench/bench',
      'dist/cli',
    ];
    for (const from of forms) expect(packageRoot(join(ROOT, from)), from).toBe(ROOT);
    expect(packageRoot()).toBe(ROOT);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))).toMatchObject({
      name: 'grantcheck',
    });
  });

  it('answers the directory it was given when no grantcheck package is above it', () => {
    const outside = mkdtempSync(join(tmpdir(), 'grantcheck-root-'));
    try {
      expect(packageRoot(outside)).toBe(outside);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
