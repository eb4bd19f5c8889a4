import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { de } from '../../server/web/i18n/de.js';
import { translator } from '../../server/web/i18n/index.js';
import { english } from '../../server/core/message.js';
import { NO_PLAN, checkQuota } from '../../server/core/plan-limits.js';
import { parseCsv } from '../../server/core/imports/csv.js';
import { checkRows } from '../../server/services/imports/rows.js';

function parseCsvOk(text: string) {
  const r = parseCsv(text);
  if (!r.ok) throw new Error(english(r.message));
  return r.records;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  );
}

const unescapeText = (s: string) => s.replace(/\\(.)/g, '$1');

// it.t('…'), it.t("…") or it.t(`…`) without ${…}; a backslash escapes the next character (\' \" \\).
const CALL = /\bit\.t\(\s*(?:'((?:\\[\s\S]|[^'\\\n])*)'|"((?:\\[\s\S]|[^"\\\n])*)"|`((?:\\[\s\S]|[^`\\$])*)`)/g;
// Two-string arrays like ['/domains', 'Domains'] or ['ok', 'below 80 %']: the second one is the label.
const PAIR = /\[\s*(?:'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")\s*,\s*(?:'((?:\\.|[^'\\\n])*)'|"((?:\\.|[^"\\\n])*)")\s*\]/g;
const _STRING = /'((?:\\.|[^'\\\n])*)'|"((?:\\.|[^"\\\n])*)"/g;

/** Literal keys of it.t calls in template source. */
/** it.plural(n, 'one …', 'other …'): both sentences are keys. */
const PLURAL = /\bit\.plural\([^,]+,\s*'((?:\\[\s\S]|[^'\\\n])*)',\s*'((?:\\[\s\S]|[^'\\\n])*)'/g;

function keysIn(source: string): string[] {
  return [
    ...[...source.matchAll(CALL)].map((m) => unescapeText(m[1] ?? m[2] ?? m[3])),
    ...[...source.matchAll(PLURAL)].flatMap((m) => [unescapeText(m[1]), unescapeText(m[2])]),
  ];
}

/** Labels a template translates indirectly: it.t(label) over arrays of [key, 'Label'] pairs. */
function labelsIn(source: string): string[] {
  if (!/\bit\.t\(\s*label\s*\)/.test(source)) return [];
  return [...source.matchAll(PAIR)].map((m) => unescapeText(m[1] ?? m[2]));
}

/** Texts server code hands to templates that translate them: NOTICES maps and message/warning/notice given to render(). */
function serverTexts(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\bNOTICES\b[^=]*=\s*\{([\s\S]*?)\}/g)) {
    for (const v of m[1].matchAll(/:\s*('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")/g)) out.push(unescapeText(v[1].slice(1, -1)));
  }
  for (const m of source.matchAll(/\brender\([^;]*?\b(?:message|warning|notice):\s*('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")/g)) {
    out.push(unescapeText(m[1].slice(1, -1)));
  }
  return out;
}

const QUOTED = String.raw`('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")`;
// What services and rules say to users: AppError texts, msg() keys, `message:` of check results, a password's problem.
const SERVICE_TEXTS = [
  new RegExp(String.raw`\bnew AppError\(\s*'\w+',\s*${QUOTED}`, 'g'),
  new RegExp(String.raw`\bmsg\(\s*${QUOTED}`, 'g'),
  new RegExp(String.raw`\bmessage:\s*${QUOTED}`, 'g'),
  // A translator called in server code: t('…') from pageContext(req).
  new RegExp(String.raw`(?<![\w.])t\(\s*${QUOTED}`, 'g'),
];
const NOT_FOUND = new RegExp(String.raw`\bnotFound\(\s*${QUOTED}`, 'g');

function serviceTexts(source: string): string[] {
  return [
    ...SERVICE_TEXTS.flatMap((re) => [...source.matchAll(re)].map((m) => unescapeText(m[1].slice(1, -1)))),
    ...[...source.matchAll(NOT_FOUND)].map((m) => `${unescapeText(m[1].slice(1, -1))} was not found.`),
  ];
}

// The API answers machines, in English: its own refusals need no German.
const API_ONLY = ['server/web/api/', 'server/web/auth/api-key-auth.ts', 'server/web/ops/', 'server/web/plugins/validation.ts', '/cli/', '/i18n'];

const templates = filesUnder(join(ROOT, 'views'), '.eta').map((f) => ({ file: relative(ROOT, f), source: readFileSync(f, 'utf8') }));
const serverFiles = filesUnder(join(ROOT, 'server'), '.ts').map((f) => ({ file: relative(ROOT, f), source: readFileSync(f, 'utf8') }));

// Values that reach it.t from data rather than literals: roles, audited object types, alert kinds and delivery states (see db/schema.ts).
const DATA_KEYS = [
  'operator',
  'reseller',
  'customer',
  'api key',
  'plan',
  'delivered',
  'retrying',
  'warning',
  'full',
  'reminder',
  'recovered',
  'pending',
  'sending',
  'sent',
  'failed',
];

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function missing(keys: Iterable<{ file: string; key: string }>) {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const { file, key } of keys) {
    if (!Object.hasOwn(de, key) && !seen.has(key)) {
      seen.add(key);
      out.push(`${file}: ${JSON.stringify(key)}`);
    }
  }
  return out;
}

describe('template scan', () => {
  it('finds single, double and backtick quoted keys, with escaped quotes', () => {
    const src = `<%= it.t('Hello') %> <%= it.t("Say \\"hi\\"") %> <%= it.t('It\\'s {n}', { n: 1 }) %> <%= it.t(\`Plain\`) %> <%= it.t(\`\${x}\`) %> <%= it.t(label) %> <%= it.t( 'Spaced' ) %>`;
    expect(keysIn(src)).toEqual(['Hello', 'Say "hi"', "It's {n}", 'Plain', 'Spaced']);
  });

  it('sees the templates and a good number of keys', () => {
    expect(templates.length).toBeGreaterThan(10);
    expect(new Set(templates.flatMap((t) => keysIn(t.source))).size).toBeGreaterThan(100);
  });
});

describe('German dictionary', () => {
  it('translates every literal it.t key in views/', () => {
    expect(missing(templates.flatMap((t) => keysIn(t.source).map((key) => ({ file: t.file, key }))))).toEqual([]);
  });

  it('translates the labels templates pass as it.t(label) (navigation, fullness levels)', () => {
    const labels = templates.flatMap((t) => labelsIn(t.source).map((key) => ({ file: t.file, key })));
    expect(labels.map((l) => l.key)).toEqual(expect.arrayContaining(['Overview', 'Audit log', 'below 80 %', 'full']));
    expect(missing(labels)).toEqual([]);
  });

  it('translates notices, warnings and error messages the server hands to templates', () => {
    const texts = serverFiles.flatMap((f) => serverTexts(f.source).map((key) => ({ file: f.file, key })));
    expect(texts.length).toBeGreaterThan(10);
    expect(missing(texts)).toEqual([]);
  });

  it('translates every message services and rules give users (field errors, import problems, refusals)', () => {
    const files = [...serverFiles, ...filesUnder(join(ROOT, 'jobs'), '.ts').map((f) => ({ file: relative(ROOT, f), source: readFileSync(f, 'utf8') }))];
    const texts = files
      .filter((f) => !API_ONLY.some((part) => f.file.includes(part)))
      .flatMap((f) => serviceTexts(f.source).map((key) => ({ file: f.file, key })));
    expect(texts.map((t) => t.key)).toEqual(expect.arrayContaining(['The plan allows at most {max} per mailbox.', 'The mailbox {address} already exists.']));
    expect(missing(texts)).toEqual([]);
  });

  it('translates roles, alert kinds and delivery states', () => {
    expect(missing(DATA_KEYS.map((key) => ({ file: '(data)', key })))).toEqual([]);
  });

  it('keeps exactly the placeholders of each key', () => {
    const wrong = Object.entries(de).filter(([k, v]) => placeholders(k).join(',') !== placeholders(v).join(','));
    expect(wrong).toEqual([]);
  });

  it('has no empty or padded values', () => {
    expect(Object.entries(de).filter(([, v]) => v.trim() === '' || v !== v.trim())).toEqual([]);
  });
});

describe('translator', () => {
  it('renders German with vars', () => {
    const t = translator('de');
    expect(t('{used} of {quota}', { used: '1.2 GB', quota: '2 GB' })).toBe('1.2 GB von 2 GB');
    expect(t('Page {page} of {pages}', { page: 2, pages: 5 })).toBe('Seite 2 von 5');
    expect(t('Delete {what}?', { what: 'info@example.com' })).toBe('info@example.com löschen?');
    expect(t('Mailboxes')).toBe('Postfächer');
  });

  it('says messages with values (import problems, plan limits) in German notation, and in English for the API', () => {
    const de = translator('de');
    const en = translator('en');
    const row = checkRows(parseCsvOk('address,imap\r\nsupport,vielleicht\r\nsupport,ja'), 'example.com', 10);
    const problems = row.ok ? row.rows.flatMap((r) => (r.ok ? [] : r.errors.map((e) => e.message))) : [];
    expect(problems.map((p) => de(p))).toEqual(['„vielleicht“ ist weder ja noch nein.', 'Die Adresse steht bereits in Zeile 2 dieser Datei.']);
    const limit = checkQuota({ ...NO_PLAN, maxQuotaBytes: 1.5 * 1024 ** 3 }, 2 * 1024 ** 3)!.message;
    expect(de(limit)).toBe('Der Tarif erlaubt höchstens 1,5 GB pro Postfach.');
    expect(en(limit)).toBe('The plan allows at most 1.5 GB per mailbox.');
    expect(english(limit)).toBe('The plan allows at most 1.5 GB per mailbox.');
    expect(de('{n} messages', { n: 12345 })).toBe('12.345 Nachrichten');
  });

  it('falls back to English and leaves unknown placeholders alone', () => {
    expect(translator('de')('No such text {x}', { y: 1 })).toBe('No such text {x}');
    expect(translator('en')('{used} of {quota}', { used: 1, quota: 2 })).toBe('1 of 2');
  });
});
