import { de } from './de.js';

export type Lang = 'en' | 'de';
export type Translate = (text: string, vars?: Record<string, string | number>) => string;

// Keys are the English text itself, so templates read naturally and a missing translation falls back to English.
const dictionaries: Record<Lang, Record<string, string>> = { en: {}, de };

export function translator(lang: Lang): Translate {
  const dict = dictionaries[lang];
  return (text, vars) => {
    const out = dict[text] ?? text;
    return vars ? out.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : out;
  };
}

/** Picks the first supported language from an Accept-Language header. */
export function negotiate(header: string | undefined): Lang {
  for (const part of (header ?? '').split(',')) {
    const tag = part.split(';')[0].trim().toLowerCase().slice(0, 2);
    if (tag === 'de' || tag === 'en') return tag;
  }
  return 'en';
}
