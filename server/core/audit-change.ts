// Pure: an audit entry's before and after as the fields that changed, each as short readable text,
// so the log reads "quotaBytes: 500 MB → 1 GB" instead of two blobs of JSON.
import { formatBytes } from './quota.js';

export interface FieldChange {
  field: string;
  /** Absent: the field was not there before (a creation) or after (a deletion). */
  before?: string;
  after?: string;
}

type Fields = Record<string, unknown>;
const asFields = (v: unknown): Fields | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Fields) : null);

/** A value as text: sizes of *Bytes fields in units, lists joined, yes/no, nested objects as compact JSON. */
export function showValue(field: string, v: unknown, lang: 'en' | 'de' = 'en'): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number' && /bytes$/i.test(field)) return formatBytes(v, lang);
  if (typeof v === 'boolean') return v ? (lang === 'de' ? 'ja' : 'yes') : lang === 'de' ? 'nein' : 'no';
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/** The fields that differ between before and after, in the order they first appear; unchanged ones are left out. */
export function changedFields(before: unknown, after: unknown, lang: 'en' | 'de' = 'en'): FieldChange[] {
  const b = asFields(before);
  const a = asFields(after);
  if (!b && !a) return [];
  const out: FieldChange[] = [];
  for (const field of new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])) {
    const was = b && Object.hasOwn(b, field) ? b[field] : undefined;
    const is = a && Object.hasOwn(a, field) ? a[field] : undefined;
    if (b && a && JSON.stringify(was) === JSON.stringify(is)) continue;
    // A creation or deletion lists what it held, not every empty option.
    if (!(b && a) && isEmpty(was ?? is)) continue;
    out.push({
      field,
      ...(b && Object.hasOwn(b, field) && { before: showValue(field, was, lang) }),
      ...(a && Object.hasOwn(a, field) && { after: showValue(field, is, lang) }),
    });
  }
  return out;
}
