// Pure: how fast a mailbox grows and when it would be full, from its usage samples.
export interface Sample {
  at: Date;
  usedBytes: number;
}

export interface Growth {
  /** Least-squares slope over the samples, in bytes per day. */
  bytesPerDay: number;
  /** Whole days until the quota is reached at that rate; null when not growing or already full. */
  daysToFull: number | null;
}

const DAY = 86_400_000;

export function growth(samples: Sample[], quotaBytes: number): Growth | null {
  if (samples.length < 2) return null;
  const t0 = samples[0].at.getTime();
  const xs = samples.map((s) => (s.at.getTime() - t0) / DAY);
  const ys = samples.map((s) => s.usedBytes);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  if (sxx === 0) return null;
  const bytesPerDay = sxy / sxx;
  const last = ys[n - 1];
  const daysToFull = bytesPerDay > 0 && last < quotaBytes ? Math.max(1, Math.round((quotaBytes - last) / bytesPerDay)) : null;
  return { bytesPerDay, daysToFull };
}
