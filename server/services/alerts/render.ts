// Renders a quota alert as subject + plain text + HTML, from views/emails/.
import { Eta } from 'eta';
import { projectPath } from '../../platform/paths.js';
import { displayAddress } from '../../core/address.js';
import { formatBytes } from '../../core/quota.js';
import { actionLabel, alertCopy, moreSpaceLabel, fillPlaceholders, situationOf, type AlertLanguage, type CopyVars } from '../../core/alerts/copy.js';
import type { AlertKind } from '../../core/alerts/decide.js';
import { oneLineSubject } from '../../core/alerts/subject.js';
import { wrapText } from '../../core/alerts/wrap.js';

const views = projectPath('views', 'emails');
// Two instances on purpose: the HTML one escapes everything printed with <%= %>; the text one must not,
// or "R&D" would arrive as "R&amp;D" in the plain-text part. Each template is only ever rendered by its own.
const htmlEta = new Eta({ views, autoEscape: true, cache: true });
const textEta = new Eta({ views, autoEscape: false, autoTrim: false, cache: true });

export interface AlertOverrides {
  subject?: string | null;
  text?: string | null;
}

export interface AlertEmailInput {
  kind: AlertKind;
  level: string;
  usedBytes: number;
  quotaBytes: number;
  /** ASCII (punycode) form; the email shows the Unicode form. */
  address: string;
  language: AlertLanguage;
  panelUrl: string;
  /** A reseller's own subject/text for this plan and language; {address}, {used}, {quota}, {percent}, {free}, {status}, {panelUrl}. */
  overrides?: AlertOverrides;
  /** For the mailbox itself: panelUrl is its owner's own page, worded so. */
  owner?: boolean;
  /** The cleanup that fits, offered as a button with what it frees (owner only). */
  action?: { folder: 'Junk' | 'Trash'; bytes: number; url: string };
  /** Where to ask for a larger mailbox; absent when its plan offers none. */
  moreSpaceUrl?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function formatPercent(usedBytes: number, quotaBytes: number, lang: AlertLanguage): string {
  // Rounded down: 99.6 % must not read "100 %" while mail is still accepted.
  const n = quotaBytes > 0 ? Math.floor((usedBytes * 100) / quotaBytes) : 0;
  return lang === 'de' ? `${n} %` : `${n}%`;
}

export function formatSize(bytes: number, lang: AlertLanguage): string {
  return formatBytes(Math.max(0, bytes), lang);
}

function checkPanelUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  // Escaping keeps the URL inside the href attribute; this keeps javascript: and friends out of it.
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) throw new Error(`panelUrl must be an http(s) URL, got ${JSON.stringify(url)}`);
  return url;
}

const paragraphsOf = (text: string) =>
  text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter(Boolean);

export function renderAlertEmail(input: AlertEmailInput): RenderedEmail {
  const { kind, level, usedBytes, quotaBytes, language: lang } = input;
  const panelUrl = checkPanelUrl(input.panelUrl);
  const isFull = quotaBytes > 0 && usedBytes >= quotaBytes;
  const vars: CopyVars = {
    address: displayAddress(input.address),
    used: formatSize(usedBytes, lang),
    quota: formatSize(quotaBytes, lang),
    percent: formatPercent(usedBytes, quotaBytes, lang),
    free: formatSize(quotaBytes - usedBytes, lang),
    panelUrl,
  };
  const copy = alertCopy(lang, situationOf(kind, level, isFull), vars, input.owner);
  const action =
    input.action && kind !== 'recovered'
      ? { label: actionLabel(lang, input.action.folder, formatSize(input.action.bytes, lang)), url: checkPanelUrl(input.action.url) }
      : null;
  const moreSpace = input.moreSpaceUrl && kind !== 'recovered' ? { label: moreSpaceLabel(lang), url: checkPanelUrl(input.moreSpaceUrl) } : null;
  const fill = (s: string) => fillPlaceholders(s, { ...vars, status: copy.status });

  const ownSubject = input.overrides?.subject ? oneLineSubject(fill(input.overrides.subject)) : '';
  const subject = ownSubject || oneLineSubject(copy.subject);
  // A reseller's text replaces greeting, explanation and tips; heading, panel link and footer stay ours.
  const ownText = input.overrides?.text ? paragraphsOf(fill(input.overrides.text)) : [];
  const body =
    ownText.length > 0
      ? { greeting: null, paragraphs: ownText, tipsIntro: null, tips: [] as string[] }
      : { greeting: copy.greeting, paragraphs: copy.paragraphs, tipsIntro: copy.tipsIntro, tips: copy.tips };

  const percentShown = quotaBytes > 0 ? Math.min(100, Math.max(0, (usedBytes * 100) / quotaBytes)) : 0;
  const data = {
    lang,
    subject,
    heading: copy.heading,
    ...body,
    linkIntro: copy.linkIntro,
    linkLabel: copy.linkLabel,
    panelUrl,
    action,
    moreSpace,
    footer: copy.footer,
    usage: { label: `${vars.used} / ${vars.quota} (${vars.percent})`, width: Math.round(percentShown), color: barColor(kind, isFull) },
  };

  const html = htmlEta.render('alert.html.eta', { ...data, paragraphs: data.paragraphs.map((p) => p.split('\n')) });
  const text = textEta.render('alert.txt.eta', {
    ...data,
    // The reseller's line breaks are kept; our own sentences are wrapped.
    paragraphs: ownText.length > 0 ? ownText : data.paragraphs.map((p) => wrapText(p)),
    tips: data.tips.map((t) => wrapText(t, 72, '- ', '  ')),
    linkIntro: wrapText(data.linkIntro),
    footer: wrapText(data.footer),
  });
  return { subject, text, html };
}

function barColor(kind: AlertKind, isFull: boolean): string {
  if (kind === 'recovered') return '#2e7d32';
  return isFull ? '#c62828' : '#ef6c00';
}
