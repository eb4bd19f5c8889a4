import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.js';

// WCAG 2 contrast of the colour pairs the stylesheet puts text on, read from public/app.css.
const css = readFileSync(path.join(ROOT, 'public/app.css'), 'utf8');
const vars = Object.fromEntries([...css.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1], m[2]]));
const hex = (c: string) => (c.startsWith('--') ? vars[c.slice(2)] : c);

function luminance(color: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const ratio = (a: string, b: string) => {
  const [x, y] = [luminance(hex(a)), luminance(hex(b))].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

describe('colour contrast (WCAG AA, 4.5:1 for text)', () => {
  it.each([
    ['body text on the page', '--text', '--bg'],
    ['body text on cards', '--text', '--surface'],
    ['muted text on cards', '--muted', '--surface'],
    ['muted text on the page', '--muted', '--bg'],
    ['links on cards', '--brand', '--surface'],
    ['button text on the brand colour', '#ffffff', '--brand'],
    ['error text', '--danger', '--surface'],
    ['error text on the error box', '--danger', '#fdecea'],
    ['header links', '#d7e3ff', '#14213d'],
    ['notice text', '#1b5e20', '#e8f5e9'],
    ['active badge', '#1b5e20', '#e3f2e5'],
    ['inactive badge', '#6b6b6b', '#f1f1f1'],
  ])('%s', (_what, fg, bg) => {
    expect(ratio(fg, bg)).toBeGreaterThanOrEqual(4.5);
  });
});
