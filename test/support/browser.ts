import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './process.js';

export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** Debian's Chromium, headless, with nothing that reaches the network on its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
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

/** Collects console errors and failed requests of a page, which a journey must end without. */
export function watchPage(page: Page) {
  const problems: string[] = [];
  page.on('console', (m) => {
    // A failed resource is reported by the response listener with its URL.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A request the browser dropped because the page moved on (a favicon during a form post) is no fault.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Basic accessibility of the page in front of the user: a document language, a label for every
 * form control, a name for every image, and a main landmark. Returns what is missing.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const problems = [];
    if (!document.documentElement.lang) problems.push('no lang on <html>');
    if (!document.querySelector('main')) problems.push('no <main>');
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!labelled) problems.push('unlabelled ' + el.tagName.toLowerCase() + ' ' + (el.name || ''));
    }
    for (const el of document.querySelectorAll('img, svg[role=img]')) {
      if (!el.getAttribute('alt') && !el.getAttribute('aria-label')) problems.push('image without a name');
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (!(el.textContent || '').trim() && !el.getAttribute('aria-label')) problems.push('control without a name: ' + el.outerHTML.slice(0, 60));
    }
    return problems;
  })()`);
}

/**
 * What a page cuts off: the page wider than the screen, or a box of mail client settings or a table
 * whose content does not fit it. Empty when nothing is cut.
 */
export async function clipped(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) out.push('page: ' + doc.scrollWidth + ' > ' + doc.clientWidth);
    for (const el of document.querySelectorAll('.client-settings, .client-settings dd, .table-wrap'))
      if (el.scrollWidth > el.clientWidth + 1) out.push(el.className + ': ' + (el.textContent || '').trim().slice(0, 40) + ' ' + el.scrollWidth + ' > ' + el.clientWidth);
    return out;
  })()`);
}
