// The trace viewer in a real browser: `grantcheck run` writes a trace and its page; headless
// Chromium (Debian's package, never a downloaded browser) opens the page from disk with every
// request refused, and the lanes, the failing step and a clicked step's state panel are checked
// against the data the page was built from. A screenshot is saved in the test's temp dir.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTraceView, viewPathOf, writeTraceView } from '../../src/view/index.ts';
import type { ViewData } from '../../src/view/index.ts';
import { cli } from '../support/cli.ts';

/** Debian's chromium (GRANTCHECK_CHROMIUM only to try this file's branches without it). */
const CHROMIUM = process.env['GRANTCHECK_CHROMIUM'] ?? '/usr/bin/chromium';
const FIX = 'apt-get install chromium';
const present = existsSync(CHROMIUM);
// In CI a missing browser is a failure, not a skip (.ci/run installs it and sets
// GRANTCHECK_REQUIRE_CHROMIUM, as it does GRANTCHECK_REQUIRE_XEN for the real-Xen suite).
const required = process.env['CI'] === 'true' || process.env['GRANTCHECK_REQUIRE_CHROMIUM'] === '1';

if (!present) {
  if (required) {
    it('trace viewer in Chromium: Chromium is required (CI)', () => {
      throw new Error(`${CHROMIUM} is missing; install it with: ${FIX}`);
    });
  } else {
    console.log(`browser test did not run: ${CHROMIUM} is missing; install it with: ${FIX}`);
    it.skip(`trace viewer in Chromium (needs ${CHROMIUM}: ${FIX})`, () => {});
  }
}

function viewOf(trace: string): ViewData {
  const loaded = loadTraceView(trace);
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.view;
}

describe.runIf(present)('trace viewer in Chromium', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'grantcheck-viewer-e2e-'));
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    // Self-contained: the page itself is the only thing it may load.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (!url.startsWith('file://')) requests.push(url);
      return url.startsWith('file://') ? route.continue() : route.abort();
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('grantcheck run writes the page beside its trace; it shows the lanes, the failing step and a clicked state', async () => {
    const r = await cli(
      'run',
      '--fault',
      'end-access-ignores-writing',
      '--seed',
      '5',
      '--out',
      tmp,
      '--no-failures',
    );
    expect(r.code).toBe(1);
    const trace = /trace written: (\S+)/.exec(r.out)?.[1] ?? '';
    const html = /view: +(\S+)/.exec(r.out)?.[1] ?? '';
    expect(html).toBe(viewPathOf(trace));
    expect(existsSync(html)).toBe(true);
    const data = viewOf(trace);
    const verdict = JSON.parse(readFileSync(trace, 'utf8')).verdict as { step: number };

    await page.goto(pathToFileURL(html).href);
    expect(await page.locator('text.lane').allTextContents()).toEqual([
      'd0 (dom0)',
      'd1',
      'd2',
      'Xen',
    ]);
    expect(await page.locator('g.step').count()).toBe(data.rows.length);

    // The failing step: marked, with its check and the results in red; its state shown first.
    const failing = page.locator('g.step.failing');
    expect(await failing.count()).toBe(1);
    expect(await failing.getAttribute('data-step')).toBe(String(verdict.step + 1));
    expect(await failing.locator('text.failure').textContent()).toMatch(/result mismatch/);
    expect(await failing.locator('text.mismatch').count()).toBe(1);
    const failingPanel = data.panels[verdict.step + 1];
    expect(await page.locator('#panel h2').textContent()).toMatch(
      new RegExp(`^after step ${verdict.step + 1}: `),
    );
    expect(await page.locator('#panel tr.differs').count()).toBe(failingPanel?.differences);
    expect(failingPanel?.differences).toBeGreaterThan(0);

    // Click the first step: its panel, with what it changed highlighted.
    await page.locator('g.step[data-step="1"]').click();
    expect(await page.locator('g.step.selected').getAttribute('data-step')).toBe('1');
    expect(await page.locator('#panel h2').textContent()).toBe(
      `after step 1: ${data.rows[0]?.label}`,
    );
    const changed = await page.locator('#panel tr.changed td.key').allTextContents();
    const expected = (data.panels[1]?.sections ?? []).flatMap((s) =>
      s.rows.filter((row) => row.changed).map((row) => row.key),
    );
    expect(changed).toEqual(expected);
    expect(changed.length).toBeGreaterThan(0);
    expect(await page.locator('#panel table[data-section="grant entries"]').count()).toBe(1);

    // The arrow keys walk the steps.
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('g.step.selected').getAttribute('data-step')).toBe('2');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    expect(await page.locator('#panel h2').textContent()).toBe('initial state');

    const shot = join(tmp, 'viewer.png');
    await page.locator('g.step.failing').click();
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`viewer screenshot: ${shot}`);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  }, 120_000);

  it('an interleaved trace: a lane per actor, the failing schedule step', async () => {
    const fixture = join(
      import.meta.dirname,
      '..',
      'fixtures',
      'traces',
      'interleave-xsa-228-maptrack-pop-split.json',
    );
    const html = writeTraceView(fixture, join(tmp, 'interleave.html'));
    const data = viewOf(fixture);
    await page.goto(pathToFileURL(html).href);
    expect(await page.locator('text.lane').allTextContents()).toEqual(
      data.lanes.map((l) => l.label),
    );
    expect(await page.locator('text.lane').allTextContents()).toContain('a1: d2 v1');
    const failing = page.locator('g.step.failing');
    expect(await failing.getAttribute('data-step')).toBe(String(data.failing));
    expect(await failing.locator('text.failure').textContent()).toMatch(
      /invariant free-list-integrity/,
    );
    await page.locator('#initial').click();
    expect(await page.locator('#panel h2').textContent()).toBe('initial state');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  }, 120_000);
});
