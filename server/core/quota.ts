// Pure quota arithmetic shared by the panel, the API, the scanner and the policy service.
export const DEFAULT_QUOTA_BYTES = 524_288_000; // 500 MB as the provider sells it
export const MIN_QUOTA_BYTES = 1024;
export const MAX_QUOTA_BYTES = Number.MAX_SAFE_INTEGER;

export const LEVELS = ['ok', '80', '90', '95', 'full'] as const;
export type Level = (typeof LEVELS)[number];

export function quotaLevel(usedBytes: number, quotaBytes: number): Level {
  if (quotaBytes <= 0) return 'ok';
  const ratio = usedBytes / quotaBytes;
  if (ratio >= 1) return 'full';
  if (ratio >= 0.95) return '95';
  if (ratio >= 0.9) return '90';
  if (ratio >= 0.8) return '80';
  return 'ok';
}

export function percentUsed(usedBytes: number, quotaBytes: number): number {
  if (quotaBytes <= 0) return 0;
  return Math.round((usedBytes / quotaBytes) * 1000) / 10;
}

const UNITS = { en: ['bytes', 'KB', 'MB', 'GB', 'TB'], de: ['Bytes', 'KB', 'MB', 'GB', 'TB'] };
const numbers = { en: [0, 1].map((d) => numberFormat('en', d)), de: [0, 1].map((d) => numberFormat('de', d)) };
function numberFormat(lang: 'en' | 'de', digits: number) {
  return new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
}

/** "123 MB" in the provider's 1024-based units, so 524288000 bytes reads as "500 MB"; "1,5 GB" in German. */
export function formatBytes(bytes: number, lang: 'en' | 'de' = 'en'): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.en.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${numbers[lang][digits].format(digits ? value : Math.round(value))} ${UNITS[lang][unit]}`;
}

/**
 * Parses "500", "500 MB", "1.5 GB" from panel forms into bytes (1024-based); null when unreadable.
 * The decimal mark is the reader's: "1,5 GB" in German; in English a comma groups thousands ("1,500 MB").
 */
export function parseSize(input: string, lang: 'en' | 'de' = 'en'): number | null {
  const m = /^\s*(\d[\d.,]*)\s*(bytes|b|kb|mb|gb|tb)?\s*$/i.exec(input);
  if (!m) return null;
  const figure = number(m[1], lang);
  if (figure === null) return null;
  const unit = (m[2] ?? 'mb').toLowerCase();
  const power = { bytes: 0, b: 0, kb: 1, mb: 2, gb: 3, tb: 4 }[unit] ?? 2;
  const bytes = Math.round(figure * 1024 ** power);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** A figure as a reader writes it: groups of three after the group mark, one decimal mark. */
function number(raw: string, lang: 'en' | 'de'): number | null {
  const [group, decimal] = lang === 'de' ? ['.', ','] : [',', '.'];
  let s = raw;
  if (new RegExp(`^\\d{1,3}(\\${group}\\d{3})+(\\${decimal}\\d+)?$`).test(s)) s = s.split(group).join('');
  // Not groups of three: the other mark is meant as the decimal one ("1.5 GB" in German, "1,5 GB" in English).
  else if (!s.includes(decimal)) s = s.replace(new RegExp(`^(\\d+)\\${group}(\\d+)$`), `$1${decimal}$2`);
  s = s.replace(decimal, '.');
  return /^\d+(\.\d+)?$/.test(s) ? Number(s) : null;
}
