// The browser side of the journeys: the real app listening on a real port, Debian's Chromium
// driven by playwright-core, and axe-core run inside the page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { testApp, type TestApp } from '../../src/testing/harness';

const require = createRequire(import.meta.url);

/** Where the browser is: Debian's package by default, CHROMIUM_PATH to use another. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches headless Chromium with nothing that reaches out to the network by itself. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface RunningApp extends TestApp {
  /** http://127.0.0.1:<port> */
  origin: string;
}

/** The real app (as the other tests build it) listening on a free port of 127.0.0.1. */
export async function startApp(): Promise<RunningApp> {
  const t = await testApp();
  const origin = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...t, origin };
}

/** A fresh browser context (its own cookies), pointed at the app. */
export function newContext(browser: Browser, app: RunningApp, opts: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ baseURL: app.origin, viewport: { width: 1100, height: 900 }, ...opts });
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG levels Harbour meets: 2.0, 2.1 and 2.2, A and AA. */
export const axeTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core on the page as it stands. The script is evaluated through the DevTools
 * protocol rather than added as a <script>, so the app's Content-Security-Policy stays on.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as any).axe !== 'undefined');
  if (!loaded) await page.evaluate(axeSource);
  const result = await page.evaluate(async (tags) => {
    const r = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact ?? null, help: v.help, targets: v.nodes.map((n: any) => [n.target].flat().join(' ')) }));
  }, axeTags);
  return result as AxeViolation[];
}

/** Violations as readable lines: "id: help (target, target)". */
export function describeViolations(where: string, violations: AxeViolation[]): string {
  return violations.map((v) => `${where}: ${v.id} [${v.impact}] ${v.help}\n    at ${v.targets.slice(0, 5).join(' | ')}${v.targets.length > 5 ? ` and ${v.targets.length - 5} more` : ''}`).join('\n');
}

/** Saves a full-page PNG when HARBOUR_SCREENSHOTS names a folder (for looking at, never committed). */
export async function screenshot(page: Page, name: string) {
  const dir = process.env.HARBOUR_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name.replace(/[^\w.-]+/g, '_')}.png`), fullPage: true });
}

/** Fails, listing every violation, unless axe finds none on the page. */
export async function assertAccessible(page: Page, where: string) {
  const violations = await axeViolations(page);
  if (violations.length) throw new Error(`axe found ${violations.length} accessibility violation(s):\n${describeViolations(where, violations)}`);
}
