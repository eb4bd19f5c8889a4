// Pure: a usage chart as inline SVG markup (no script, no external assets), so CSP stays strict.
import { formatBytes } from '../../core/quota.js';
import type { Sample } from '../../core/growth.js';

const W = 640;
const H = 200;
const PAD = { l: 64, r: 12, t: 12, b: 28 };
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The reader's language and time zone, for the axis labels. */
export interface ChartLocale {
  lang: 'en' | 'de';
  zone: string;
}

export function usageChart(samples: Sample[], quotaBytes: number, label: string, locale: ChartLocale = { lang: 'en', zone: 'UTC' }): string {
  const x0 = samples[0]?.at.getTime() ?? 0;
  const x1 = Math.max(samples.at(-1)?.at.getTime() ?? 1, x0 + 1);
  const top = Math.max(quotaBytes, ...samples.map((s) => s.usedBytes)) * 1.05;
  const x = (t: number) => PAD.l + ((t - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const y = (b: number) => H - PAD.b - (b / top) * (H - PAD.t - PAD.b);
  const points = samples.map((s) => `${x(s.at.getTime()).toFixed(1)},${y(s.usedBytes).toFixed(1)}`);
  const area = points.length ? `M${x(x0).toFixed(1)},${y(0).toFixed(1)} L${points.join(' L')} L${x(x1).toFixed(1)},${y(0).toFixed(1)} Z` : '';
  const quotaY = y(quotaBytes).toFixed(1);
  // Dates at both ends; within two days the times too, so the two labels never read the same.
  const short = x1 - x0 < 2 * 86_400_000;
  const format = (t: number, options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(locale.lang, { ...options, timeZone: locale.zone }).format(t);
  const day = { year: 'numeric', month: 'short', day: 'numeric' } as const;
  const time = { hour: '2-digit', minute: '2-digit' } as const;
  const sameDay = format(x0, day) === format(x1, day);
  const startLabel = esc(short ? format(x0, { ...day, ...time }) : format(x0, day));
  const endLabel = esc(short ? (sameDay ? format(x1, time) : format(x1, { ...day, ...time })) : format(x1, day));
  return [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">`,
    `<line class="axis" x1="${PAD.l}" y1="${H - PAD.b}" x2="${W - PAD.r}" y2="${H - PAD.b}"/>`,
    `<line class="quota" x1="${PAD.l}" y1="${quotaY}" x2="${W - PAD.r}" y2="${quotaY}"/>`,
    `<text class="tick" x="${PAD.l - 6}" y="${quotaY}" text-anchor="end" dominant-baseline="middle">${esc(formatBytes(quotaBytes, locale.lang))}</text>`,
    `<text class="tick" x="${PAD.l - 6}" y="${H - PAD.b}" text-anchor="end" dominant-baseline="middle">0</text>`,
    area ? `<path class="area" d="${area}"/><polyline class="line" points="${points.join(' ')}"/>` : '',
    samples.length
      ? `<text class="tick" x="${PAD.l}" y="${H - 8}">${startLabel}</text><text class="tick" x="${W - PAD.r}" y="${H - 8}" text-anchor="end">${endLabel}</text>`
      : '',
    '</svg>',
  ].join('');
}
