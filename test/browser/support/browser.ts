import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type ConsoleMessage, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, for the console's browser
 * tests: where it is, how to launch it on a machine whose network refuses
 * Chromium's own background connections, and the checks every page gets
 * (no console errors, no serious accessibility violations by axe-core).
 */

export const CHROMIUM_PATH = process.env.ACCORD_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether the browser tests run here. They skip only where no Chromium is
 * installed, and never in CI (CI=true), where `.ci/run` installs it: there a
 * missing browser fails the launch instead.
 */
export function browserTestsSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === 'true') return undefined;
  return `no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (or set ACCORD_CHROMIUM) to run the console's browser tests`;
}

export function launchChromium(): Promise<Browser> {
  // Playwright gives each launch a fresh, temporary profile (--user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const SCREENSHOT_DIR = join('test-results', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Collects what a page reports as wrong: console errors and uncaught exceptions. */
export class PageProblems {
  private problems: string[] = [];

  constructor(page: Page) {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') this.problems.push(`console error: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => this.problems.push(`uncaught: ${error.message}`));
  }

  /** The problems seen since the last call, split by whether `expected` matches them; forgets them all. */
  take(expected?: RegExp): { unexpected: string[]; expected: string[] } {
    const seen = this.problems;
    this.problems = [];
    return { unexpected: seen.filter((problem) => !expected?.test(problem)), expected: seen.filter((problem) => expected?.test(problem)) };
  }
}

const require = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core on the page as it is (WCAG 2.x A and AA rules and axe's best
 * practices) and answers the violations of impact serious or critical.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, not as a page script: the console's CSP allows no inline script.
  await page.evaluate(await axeSource);
  const result = await page.evaluate<{ violations: AxeViolation[] }>('axe.run(document, { resultTypes: ["violations"] })');
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ ...violation, nodes: violation.nodes.map((node) => ({ target: node.target })) }));
}
