// Which quota alerts a mailbox gets at one usage check. Pure: the worker feeds it the stored state and
// the clock, stores the returned state and the alerts (alerts are unique per mailbox, episode, kind, level).
export type AlertKind = 'warning' | 'full' | 'reminder' | 'recovered';
/** Who an alert goes to: the mailbox itself, the customer's contact, the reseller. */
export type AlertRecipient = 'mailbox' | 'contact' | 'reseller';

/**
 * level: '80', '90', ... (a percent threshold), 'free' (fewer than minFreeBytes left), 'full',
 * 'reminder-N' (the Nth reminder of the episode) or 'ok' (recovered).
 * episode: the episode the alert belongs to; a 'recovered' notice closes the old one.
 */
export interface Alert {
  kind: AlertKind;
  level: string;
  episode: number;
}

export interface AlertSettings {
  /** Percent thresholds, e.g. [80, 90, 95]; values outside 1..99 are ignored (100 is 'full'). */
  warnPercents: number[];
  /** Warn when fewer than this many bytes are left; null = off. */
  minFreeBytes: number | null;
  /** Days between reminders while the mailbox stays in the top zone; 0 = no reminders. */
  reminderDays: number;
}

export interface AlertState {
  episode: number;
  /** Levels sent or covered in this episode, plus the reminders sent ('reminder-1', ...). */
  warned: string[];
  lastAlertAt: Date | null;
}

export interface DecideInput {
  usedBytes: number;
  quotaBytes: number;
  settings: AlertSettings;
  state: AlertState | null;
  now: Date;
}

export interface Decision {
  alerts: Alert[];
  state: AlertState;
}

export const DEFAULT_WARN_PERCENTS = [80, 90, 95];
/** Where a mailbox without an alert_state row stands (the migration's column defaults). */
export const initialState = (): AlertState => ({ episode: 1, warned: [], lastAlertAt: null });
const DAY_MS = 86_400_000;
const REMINDER_PREFIX = 'reminder-';

export interface Threshold {
  level: string;
  /** The usage at which the level is reached; orders the levels by how close to full they are. */
  atBytes: number;
  crossed: boolean;
}

/** Levels ordered from least to most severe, each marked crossed or not for this usage. */
export function thresholds(usedBytes: number, quotaBytes: number, settings: AlertSettings): Threshold[] {
  const percents = [...new Set(settings.warnPercents)].filter((p) => Number.isFinite(p) && p > 0 && p < 100);
  const list: Threshold[] = percents.map((p) => ({
    level: String(p),
    atBytes: (quotaBytes * p) / 100,
    // Integer comparison, so 80 % of 500 MB is reached at exactly 419,430,400 bytes, not a float away from it.
    crossed: usedBytes * 100 >= quotaBytes * p,
  }));
  const minFree = settings.minFreeBytes;
  // A trigger at or above the whole quota would fire on an empty mailbox: it says nothing about filling up, so it is off.
  if (minFree !== null && minFree > 0 && minFree < quotaBytes) {
    list.push({ level: 'free', atBytes: quotaBytes - minFree, crossed: quotaBytes - usedBytes < minFree });
  }
  list.push({ level: 'full', atBytes: quotaBytes, crossed: usedBytes >= quotaBytes });
  // Stable sort: on a tie a percent level comes first, so 'free' counts as the more severe one.
  return list.sort((a, b) => a.atBytes - b.atBytes);
}

export function decideAlerts(input: DecideInput): Decision {
  const { usedBytes, quotaBytes, settings, now } = input;
  const state = input.state ?? initialState();
  // 0 / negative / non-finite quota means unlimited (or not set): there is no limit to warn about.
  if (!(quotaBytes > 0) || !Number.isFinite(quotaBytes)) return { alerts: [], state };

  const levels = thresholds(usedBytes, quotaBytes, settings);
  const crossed = levels.filter((t) => t.crossed);
  const warnedLevels = state.warned.filter((w) => !w.startsWith(REMINDER_PREFIX));

  if (crossed.length === 0) {
    // Back below the lowest level after a warning: one notice, and the next crossing starts a new episode.
    if (warnedLevels.length === 0) return { alerts: [], state };
    return {
      alerts: [{ kind: 'recovered', level: 'ok', episode: state.episode }],
      state: { episode: state.episode + 1, warned: [], lastAlertAt: now },
    };
  }

  const severity = (level: string) => levels.findIndex((t) => t.level === level);
  const fresh = crossed.filter((t) => !state.warned.includes(t.level));
  if (fresh.length > 0) {
    // When one check crosses several levels (50 % -> 96 %), only the highest is sent: three mails at once
    // would bury the one that matters. The lower ones count as covered, so they are not sent later either.
    // A fresh level below one already warned about (e.g. a threshold added to the plan) is covered silently.
    const top = fresh[fresh.length - 1];
    const alreadyHigher = warnedLevels.some((w) => severity(w) >= severity(top.level));
    const warned = [...state.warned, ...fresh.map((t) => t.level)];
    if (alreadyHigher) return { alerts: [], state: { ...state, warned } };
    return {
      alerts: [{ kind: top.level === 'full' ? 'full' : 'warning', level: top.level, episode: state.episode }],
      state: { episode: state.episode, warned, lastAlertAt: now },
    };
  }

  if (dueForReminder(levels, settings, state, now)) {
    const n = state.warned.filter((w) => w.startsWith(REMINDER_PREFIX)).length + 1;
    // Numbered, so a reminder has its own alerts row and a retried check (same state) repeats the same number.
    const level = `${REMINDER_PREFIX}${n}`;
    return {
      alerts: [{ kind: 'reminder', level, episode: state.episode }],
      state: { episode: state.episode, warned: [...state.warned, level], lastAlertAt: now },
    };
  }
  return { alerts: [], state };
}

// Reminders only in the top zone: at the highest percent threshold (95 % by default) or full.
function dueForReminder(levels: Threshold[], settings: AlertSettings, state: AlertState, now: Date): boolean {
  if (!(settings.reminderDays > 0) || state.lastAlertAt === null) return false;
  const percentLevels = levels.filter((t) => t.level !== 'free' && t.level !== 'full');
  const top = percentLevels.length > 0 ? percentLevels[percentLevels.length - 1] : levels.find((t) => t.level === 'full')!;
  const inTopZone = top.crossed || levels.some((t) => t.level === 'full' && t.crossed);
  return inTopZone && now.getTime() - state.lastAlertAt.getTime() >= settings.reminderDays * DAY_MS;
}
