import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium (CI installs it with apt-get install chromium). */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

export const artifactsDir = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png. */
  screenshot(name: string, page?: Page, options?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** A fresh Chromium profile (its own user-data-dir) with one page; console errors are collected. */
export async function openBrowser(options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<TestBrowser & { consoleErrors: string[] }> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'modelport-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    args: chromiumArgs,
    viewport: { width: options.width ?? 1366, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  mkdirSync(artifactsDir, { recursive: true });
  return {
    context,
    page,
    consoleErrors,
    async screenshot(name, target = page, options = {}) {
      const file = path.join(artifactsDir, `${name}.png`);
      // Full-page shots of a scrolled page would show the fixed header mid-page.
      await target.evaluate('window.scrollTo(0, 0)');
      await target.screenshot({ path: file, fullPage: options.fullPage ?? true });
      return file;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Options for expect.poll on the page: web UIs settle asynchronously. */
export const eventually = { timeout: 15_000, interval: 50 };

/** A substring or pattern as a RegExp, for polling textContent. */
export function asPattern(expected: string | RegExp): RegExp {
  return typeof expected === 'string' ? new RegExp(expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : expected;
}

/** The whole text, exactly (strings), or the pattern (RegExp). */
export function exactly(expected: string | RegExp): RegExp {
  return typeof expected === 'string' ? new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : expected;
}

// Polling assertions in the style of Playwright's web-first ones (vitest's expect has none for locators).

export async function expectAttribute(locator: Locator, name: string, value: string, timeout = eventually.timeout): Promise<void> {
  await expect.poll(() => locator.getAttribute(name), { ...eventually, timeout }).toBe(value);
}

export async function expectValue(locator: Locator, value: string): Promise<void> {
  await expect.poll(() => locator.inputValue(), eventually).toBe(value);
}

export async function expectText(locator: Locator, expected: string | RegExp, timeout = eventually.timeout): Promise<void> {
  await expect.poll(async () => (await locator.textContent())?.trim() ?? '', { ...eventually, timeout }).toMatch(exactly(expected));
}

export async function expectContains(locator: Locator, expected: string | RegExp, timeout = eventually.timeout): Promise<void> {
  await expect.poll(async () => (await locator.textContent()) ?? '', { ...eventually, timeout }).toMatch(asPattern(expected));
}

export async function expectCount(locator: Locator, count: number): Promise<void> {
  await expect.poll(() => locator.count(), eventually).toBe(count);
}
