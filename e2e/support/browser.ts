import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Headless Chromium for the browser tests: Debian's own package, never a downloaded build.
 * `.ci/run` installs it when missing (`apt-get install chromium`). Playwright gives each launch a
 * fresh temporary profile of its own.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps calling Google's services, which a closed network refuses slowly.
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const LAPTOP = { width: 1440, height: 900 } as const;
export const PHONE = { width: 390, height: 844 } as const;

export type TestBrowser = {
  browser: Browser;
  /** A fresh context (its own cookies: another agent), with the page's console errors collected. */
  newAgent(viewport?: { width: number; height: number }, options?: { isMobile?: boolean }): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  close(): Promise<void>;
};

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 60_000 });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newAgent(viewport = LAPTOP, options = {}) {
      const context = await browser.newContext({
        viewport,
        deviceScaleFactor: 1,
        isMobile: options.isMobile ?? false,
        hasTouch: options.isMobile ?? false,
        locale: 'en-GB',
        timezoneId: 'UTC',
        reducedMotion: 'reduce',
      });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      return { context, page, errors };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}
