import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { REPO_ROOT } from '../../test/support/server-process.js';

/** Builds web/ into dist/web, as `npm run build` does, so the hub under test serves the current UI. */
export function buildWebUi(): void {
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 120_000,
  });
}

/** How long the UI gets to show something the server already did (SSE delivery plus a refetch). */
export const LIVE_MS = 10_000;

export async function logIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Views' }).waitFor({ timeout: LIVE_MS });
}

export const conversationList = (page: Page): Locator => page.getByRole('listbox', { name: 'Conversations' });

export const conversationItem = (page: Page, name: string): Locator => conversationList(page).getByRole('option').filter({ hasText: name });

export const timeline = (page: Page): Locator => page.getByRole('log');

/** The timeline bubble whose own text has `text` (not one quoting it; the newest when several do). */
export const bubble = (page: Page, text: string): Locator =>
  timeline(page).locator('.bubble-row').filter({ has: page.locator('.bubble-text', { hasText: text }) }).last();

export async function showView(page: Page, view: 'Mine' | 'Unassigned' | 'All'): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: new RegExp(`^${view}`) }).click();
  await expect.poll(() => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: new RegExp(`^${view}`) }).getAttribute('aria-pressed')).toBe('true');
}

/** A page-lifetime marker: still there later means the page was never reloaded in between. */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { __marker: number }).__marker = 42));
}

export async function isSamePage(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { __marker?: number }).__marker === 42);
}
