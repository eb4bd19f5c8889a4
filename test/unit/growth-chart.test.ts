import { describe, expect, it } from 'vitest';
import { growth } from '../../server/core/growth.js';
import { usageChart } from '../../server/web/panel/chart.js';

const day = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 86_400_000);
const MB = 1024 * 1024;

describe('growth and projection', () => {
  it('fits the daily growth and projects the days to full', () => {
    const samples = [0, 1, 2, 3, 4].map((d) => ({ at: day(d), usedBytes: 100 * MB + d * 10 * MB }));
    const g = growth(samples, 260 * MB)!;
    expect(g.bytesPerDay).toBeCloseTo(10 * MB, 0);
    expect(g.daysToFull).toBe(12);
  });
  const series = (ys: number[]) => ys.map((usedBytes, d) => ({ at: day(d), usedBytes }));

  it('has no projection when shrinking, flat, already full or years away', () => {
    expect(growth(series([50, 45, 40]), 100)!.daysToFull).toBeNull();
    expect(growth(series([50, 50, 50]), 100)!.daysToFull).toBeNull();
    expect(growth(series([90, 100, 120]), 100)!.daysToFull).toBeNull();
    expect(growth(series([1, 2, 3]), 1e9)!.daysToFull).toBeNull();
  });

  it('says nothing without days of history: two scans minutes apart, or two days only', () => {
    const minutes = [
      { at: new Date('2026-12-04T10:00:00Z'), usedBytes: 10 * MB },
      { at: new Date('2026-12-04T10:02:00Z'), usedBytes: 10.6 * MB },
    ];
    expect(growth(minutes, 500 * MB)).toBeNull();
    // Many figures within one day are still one day.
    const oneDay = Array.from({ length: 50 }, (_, i) => ({ at: new Date(Date.UTC(2026, 11, 4, 0, i * 20)), usedBytes: i * MB }));
    expect(growth(oneDay, 500 * MB)).toBeNull();
    expect(growth(series([1, 2]), 500 * MB)).toBeNull();
  });

  it('is not thrown by a single jump (an import): the median slope keeps the usual growth', () => {
    const ys = [100, 101, 102, 503, 504, 505, 506].map((n) => n * MB);
    const g = growth(series(ys), 1000 * MB)!;
    expect(g.bytesPerDay).toBeGreaterThan(0.9 * MB);
    expect(g.bytesPerDay).toBeLessThan(1.5 * MB);
  });
});

describe('usage chart', () => {
  it('is plain SVG with the quota line and escaped text', () => {
    const svg = usageChart(
      [
        { at: day(0), usedBytes: 10 * MB },
        { at: day(3), usedBytes: 300 * MB },
      ],
      500 * MB,
      'Usage <30 days>',
    );
    expect(svg).toMatch(/^<svg [^>]*role="img"/);
    expect(svg).toContain('aria-label="Usage &lt;30 days&gt;"');
    expect(svg).toContain('class="quota"');
    expect(svg).toContain('500 MB');
    expect(svg).toMatch(/<polyline class="line" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
    expect(svg).not.toMatch(/<script|style=|on\w+=/);
  });
});

describe('usage chart axis', () => {
  it('labels its two ends differently, with times when the history is short', () => {
    const ticks = (svg: string) =>
      [...svg.matchAll(/<text class="tick" x="[\d.]+" y="\d+"(?: text-anchor="end")?>([^<]+)<\/text>/g)].map((m) => m[1]).slice(-2);
    const minutes = usageChart(
      [
        { at: new Date('2026-12-04T10:00:00Z'), usedBytes: 1 },
        { at: new Date('2026-12-04T10:02:00Z'), usedBytes: 2 },
      ],
      10,
      'u',
    );
    expect(ticks(minutes)).toEqual(['Dec 4, 2026, 10:00 AM', '10:02 AM']);
    // In the reader's language and time zone.
    const berlin = usageChart(
      [
        { at: new Date('2026-12-04T10:00:00Z'), usedBytes: 1 },
        { at: new Date('2026-12-04T10:02:00Z'), usedBytes: 2 },
      ],
      1.5 * 1024 ** 3,
      'u',
      { lang: 'de', zone: 'Europe/Berlin' },
    );
    expect(ticks(berlin)).toEqual(['4. Dez. 2026, 11:00', '11:02']);
    expect(berlin).toContain('>1,5 GB<');
    expect(
      ticks(
        usageChart(
          [
            { at: day(0), usedBytes: 1 },
            { at: day(9), usedBytes: 2 },
          ],
          10,
          'u',
        ),
      ),
    ).toEqual(['Nov 1, 2026', 'Nov 10, 2026']);
  });
});
