// Pure: how fast a mailbox grows and when it would be full, from its usage samples.
export interface Sample {
  at: Date;
  usedBytes: number;
}

export interface Growth {
  /** Typical growth in bytes per day: the median of the day-to-day changes. */
  bytesPerDay: number;
  /** Whole days until the quota is reached at that rate; null when not growing, already full, or years away. */
  daysToFull: number | null;
}

const DAY = 86_400_000;
/** A forecast needs figures from at least this many days, this many days apart: minutes say nothing. */
export const MIN_DAYS = 3;
export const MIN_SPAN_DAYS = 2;
/** Further than this, "full in about 4000 days" is no forecast. */
const MAX_DAYS_TO_FULL = 3650;

/** The last figure of each day (UTC), oldest first, with its time in days. */
function daily(samples: Sample[]): { x: number; y: number }[] {
  const byDay = new Map<number, Sample>();
  for (const s of samples) {
    const d = Math.floor(s.at.getTime() / DAY);
    const seen = byDay.get(d);
    if (!seen || seen.at <= s.at) byDay.set(d, s);
  }
  return [...byDay.values()].sort((a, b) => a.at.getTime() - b.at.getTime()).map((s) => ({ x: s.at.getTime() / DAY, y: s.usedBytes }));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The growth, or null without enough history (fewer than MIN_DAYS days with a figure, or spanning
 * less than MIN_SPAN_DAYS). The median of the day-to-day changes is robust to a single jump (an
 * import, one large attachment, a cleanup): the jump is one change among many, not their median.
 */
export function growth(samples: Sample[], quotaBytes: number): Growth | null {
  const points = daily(samples);
  if (points.length < MIN_DAYS || points[points.length - 1].x - points[0].x < MIN_SPAN_DAYS) return null;
  const slopes = points.slice(1).map((p, i) => (p.y - points[i].y) / (p.x - points[i].x));
  const bytesPerDay = median(slopes);
  const last = samples.reduce((a, b) => (b.at > a.at ? b : a)).usedBytes;
  const days = bytesPerDay > 0 && last < quotaBytes ? Math.max(1, Math.round((quotaBytes - last) / bytesPerDay)) : null;
  return { bytesPerDay, daysToFull: days !== null && days <= MAX_DAYS_TO_FULL ? days : null };
}
