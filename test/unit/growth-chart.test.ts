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
  it('has no projection when shrinking, flat or already full', () => {
    expect(
      growth(
        [
          { at: day(0), usedBytes: 50 },
          { at: day(1), usedBytes: 40 },
        ],
        100,
      )!.daysToFull,
    ).toBeNull();
    expect(
      growth(
        [
          { at: day(0), usedBytes: 50 },
          { at: day(1), usedBytes: 50 },
        ],
        100,
      )!.daysToFull,
    ).toBeNull();
    expect(
      growth(
        [
          { at: day(0), usedBytes: 90 },
          { at: day(1), usedBytes: 120 },
        ],
        100,
      )!.daysToFull,
    ).toBeNull();
    expect(growth([{ at: day(0), usedBytes: 1 }], 100)).toBeNull();
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
