import { fill, type MessageVar, type Text } from '../../core/message.js';
import { formatBytes } from '../../core/quota.js';
import { de } from './de.js';

export type Lang = 'en' | 'de';
/** A catalogue sentence (or a message with its values) in the language; numbers and sizes in its notation. */
export type Translate = (text: Text, vars?: Record<string, MessageVar>) => string;

// Keys are the English text itself, so templates read naturally and a missing translation falls back to English.
const dictionaries: Record<Lang, Record<string, string>> = { en: {}, de };

export interface Locale {
  t: Translate;
  /** The sentence for `n`: `one` or `other` by Intl.PluralRules (both are catalogue keys), `{n}` filled. */
  plural: (n: number, one: string, other: string, vars?: Record<string, MessageVar>) => string;
  /** A number in the language's notation, at most one decimal. */
  number: (n: number) => string;
}

function makeLocale(lang: Lang): Locale {
  const dict = dictionaries[lang];
  const numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const plurals = new Intl.PluralRules(lang);
  const t: Translate = (text, vars) => {
    const [key, values] = typeof text === 'string' ? [text, vars] : [text.text, { ...text.vars, ...vars }];
    return fill(dict[key] ?? key, values, (v) =>
      typeof v === 'number' ? numbers.format(v) : typeof v === 'string' ? v : 'bytes' in v ? formatBytes(v.bytes, lang) : t(v),
    );
  };
  return { t, plural: (n, one, other, vars = {}) => t(plurals.select(n) === 'one' ? one : other, { n, ...vars }), number: (n) => numbers.format(n) };
}

// Built once per language: a page renders hundreds of sentences and numbers with them.
const locales: Record<Lang, Locale> = { en: makeLocale('en'), de: makeLocale('de') };

export const localeOf = (lang: Lang): Locale => locales[lang];
export const translator = (lang: Lang): Translate => locales[lang].t;

/** Picks the first supported language from an Accept-Language header. */
export function negotiate(header: string | undefined): Lang {
  for (const part of (header ?? '').split(',')) {
    const tag = part.split(';')[0].trim().toLowerCase().slice(0, 2);
    if (tag === 'de' || tag === 'en') return tag;
  }
  return 'en';
}
