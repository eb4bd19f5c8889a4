import { describe, expect, it } from 'vitest';
import { decideAlerts, type AlertSettings, type AlertState, type Decision } from '../../server/core/alerts/decide.js';

const MB = 1024 * 1024;
const QUOTA = 500 * MB;
const DEFAULTS: AlertSettings = { warnPercents: [80, 90, 95], minFreeBytes: null, reminderDays: 3 };
const T0 = new Date('2026-11-26T12:00:00Z');
const days = (n: number) => new Date(T0.getTime() + n * 86_400_000);
const pct = (p: number, quota = QUOTA) => Math.round((quota * p) / 100);

/** Feeds a series of checks through decideAlerts, carrying the state along like the worker does. */
function run(steps: Array<{ used: number; now?: Date; quota?: number }>, settings = DEFAULTS, start: AlertState | null = null) {
  let state = start;
  const out: Decision[] = [];
  for (const s of steps) {
    const d = decideAlerts({ usedBytes: s.used, quotaBytes: s.quota ?? QUOTA, settings, state, now: s.now ?? T0 });
    out.push(d);
    state = d.state;
  }
  return out;
}
const sent = (ds: Decision[]) => ds.flatMap((d) => d.alerts.map((a) => `${a.kind}:${a.level}`));

describe('decideAlerts: crossings', () => {
  it('sends nothing below the lowest level and keeps the initial state', () => {
    const [d] = run([{ used: pct(79.9) }]);
    expect(d.alerts).toEqual([]);
    expect(d.state).toEqual({ episode: 1, warned: [], lastAlertAt: null });
  });

  it('sends each level once as usage climbs, then the full notice', () => {
    const ds = run([{ used: pct(50) }, { used: pct(80) }, { used: pct(85) }, { used: pct(90) }, { used: pct(95) }, { used: QUOTA }]);
    expect(sent(ds)).toEqual(['warning:80', 'warning:90', 'warning:95', 'full:full']);
    expect(ds[1].alerts[0].episode).toBe(1);
    expect(ds[5].state.warned).toEqual(['80', '90', '95', 'full']);
  });

  it('reaches a level at exactly the threshold byte, not one byte earlier', () => {
    const at80 = (QUOTA * 80) / 100;
    expect(sent(run([{ used: at80 - 1 }]))).toEqual([]);
    expect(sent(run([{ used: at80 }]))).toEqual(['warning:80']);
  });

  it('a jump from 50 % to 96 % sends only the 95 % warning and covers 80 and 90', () => {
    const ds = run([{ used: pct(50) }, { used: pct(96) }, { used: pct(97) }]);
    expect(sent(ds)).toEqual(['warning:95']);
    expect(ds[1].state.warned).toEqual(['80', '90', '95']);
    expect(ds[1].state.lastAlertAt).toEqual(T0);
  });

  it('a jump straight past the quota sends only the full notice', () => {
    const ds = run([{ used: pct(10) }, { used: QUOTA + 1 }]);
    expect(ds[1].alerts).toEqual([{ kind: 'full', level: 'full', episode: 1 }]);
  });

  it('repeated checks at the same usage send nothing more', () => {
    const ds = run([{ used: pct(91) }, { used: pct(91) }, { used: pct(92) }, { used: pct(91) }]);
    expect(sent(ds)).toEqual(['warning:90']);
  });

  it('a lowered quota warns at once (same usage, new quota)', () => {
    const used = 300 * MB;
    const ds = run([
      { used, quota: QUOTA },
      { used, quota: 310 * MB },
      { used, quota: 250 * MB },
    ]);
    expect(sent(ds)).toEqual(['warning:95', 'full:full']);
  });

  it('a level added later below one already sent is covered without a mail', () => {
    const [first] = run([{ used: pct(96) }]);
    const [d] = run([{ used: pct(96) }], { ...DEFAULTS, warnPercents: [80, 85, 90, 95] }, first.state);
    expect(d.alerts).toEqual([]);
    expect(d.state.warned).toContain('85');
  });
});

describe('decideAlerts: reminders', () => {
  it('reminds every reminderDays while at 95 % or above, not before', () => {
    const ds = run([
      { used: pct(96), now: T0 },
      { used: pct(96), now: days(1) },
      { used: pct(97), now: days(2.99) },
      { used: pct(97), now: days(3) },
      { used: pct(97), now: days(5) },
      { used: pct(98), now: days(6) },
    ]);
    expect(sent(ds)).toEqual(['warning:95', 'reminder:reminder-1', 'reminder:reminder-2']);
    expect(ds[5].state.lastAlertAt).toEqual(days(6));
  });

  it('counts the schedule from the latest alert, so a full notice restarts it', () => {
    const ds = run([
      { used: pct(96), now: T0 },
      { used: QUOTA, now: days(2) },
      { used: QUOTA, now: days(4) },
      { used: QUOTA, now: days(5) },
    ]);
    expect(sent(ds)).toEqual(['warning:95', 'full:full', 'reminder:reminder-1']);
  });

  it('does not remind between 80 and 95 %', () => {
    const ds = run([
      { used: pct(91), now: T0 },
      { used: pct(91), now: days(10) },
    ]);
    expect(sent(ds)).toEqual(['warning:90']);
  });

  it('does not remind when reminderDays is 0', () => {
    const ds = run(
      [
        { used: QUOTA, now: T0 },
        { used: QUOTA, now: days(30) },
      ],
      { ...DEFAULTS, reminderDays: 0 },
    );
    expect(sent(ds)).toEqual(['full:full']);
  });

  it('a retried check from the same stored state names the same reminder (the alerts row deduplicates it)', () => {
    const [first] = run([{ used: pct(96), now: T0 }]);
    const again = () => decideAlerts({ usedBytes: pct(96), quotaBytes: QUOTA, settings: DEFAULTS, state: first.state, now: days(4) });
    expect(again().alerts).toEqual(again().alerts);
    expect(again().alerts).toEqual([{ kind: 'reminder', level: 'reminder-1', episode: 1 }]);
  });
});

describe('decideAlerts: recovery and episodes', () => {
  it('sends one recovered notice below the lowest level, then warns again on a new crossing', () => {
    const ds = run([
      { used: pct(92), now: T0 },
      { used: pct(85), now: days(1) },
      { used: pct(70), now: days(2) },
      { used: pct(60), now: days(3) },
      { used: pct(81), now: days(4) },
    ]);
    expect(sent(ds)).toEqual(['warning:90', 'recovered:ok', 'warning:80']);
    expect(ds[2].alerts[0].episode).toBe(1);
    expect(ds[2].state).toEqual({ episode: 2, warned: [], lastAlertAt: days(2) });
    expect(ds[4].alerts[0].episode).toBe(2);
  });

  it('sends no recovered notice when nothing was sent in the episode', () => {
    const ds = run([{ used: pct(50) }, { used: pct(10) }]);
    expect(sent(ds)).toEqual([]);
    expect(ds[1].state.episode).toBe(1);
  });

  it('stays in the episode (no new 80 % warning) while usage moves between the levels', () => {
    const ds = run([{ used: pct(96) }, { used: pct(82) }, { used: pct(96) }]);
    expect(sent(ds)).toEqual(['warning:95']);
  });
});

describe('decideAlerts: plan settings', () => {
  it('warns when fewer than minFreeBytes are left', () => {
    const settings = { ...DEFAULTS, minFreeBytes: 150 * MB };
    const ds = run([{ used: 349 * MB }, { used: 351 * MB }, { used: pct(81) }, { used: pct(90) }], settings);
    expect(sent(ds)).toEqual(['warning:free', 'warning:80', 'warning:90']);
  });

  it('treats minFree as more severe than a percent level reached later', () => {
    // 20 MB left is reached at 96 % of 500 MB, after the 95 % warning.
    const settings = { ...DEFAULTS, minFreeBytes: 20 * MB };
    const ds = run([{ used: pct(95.5) }, { used: 481 * MB }, { used: 481 * MB }], settings);
    expect(sent(ds)).toEqual(['warning:95', 'warning:free']);
  });

  it('ignores a minFree trigger as large as the whole quota', () => {
    expect(sent(run([{ used: 0 }], { ...DEFAULTS, minFreeBytes: QUOTA }))).toEqual([]);
  });

  it('custom thresholds [70]: one warning at 70 %, reminders from 70 %', () => {
    const settings = { ...DEFAULTS, warnPercents: [70] };
    const ds = run(
      [
        { used: pct(69), now: T0 },
        { used: pct(70), now: T0 },
        { used: pct(85), now: days(1) },
        { used: pct(96), now: days(3) },
        { used: QUOTA, now: days(4) },
      ],
      settings,
    );
    expect(sent(ds)).toEqual(['warning:70', 'reminder:reminder-1', 'full:full']);
  });

  it('ignores invalid and duplicate percents', () => {
    const settings = { ...DEFAULTS, warnPercents: [0, -5, 100, 150, 90, 90, Number.NaN] };
    expect(sent(run([{ used: pct(95) }, { used: pct(99) }], settings))).toEqual(['warning:90']);
  });

  it.each([0, -1, Number.POSITIVE_INFINITY, Number.NaN])('quota %s (unlimited) sends nothing and leaves the state alone', (quota) => {
    const state: AlertState = { episode: 3, warned: ['80'], lastAlertAt: T0 };
    const d = decideAlerts({ usedBytes: 10 * MB, quotaBytes: quota, settings: DEFAULTS, state, now: days(10) });
    expect(d).toEqual({ alerts: [], state });
  });
});
