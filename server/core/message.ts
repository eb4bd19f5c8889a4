import { formatBytes } from './quota.js';

// A sentence that names values ("The plan allows at most {max} per mailbox.") travels as its catalogue
// key and the values, so the panel can say it in the user's language and notation; the API, the CLI and
// the logs say it in English. A sentence without values is just its English string.

/** A value of a message: text as is, a number or a size formatted in the reader's notation, or another message. */
export type MessageVar = string | number | { bytes: number } | Message;
export interface Message {
  text: string;
  vars: Record<string, MessageVar>;
}
export type Text = string | Message;

export const msg = (text: string, vars: Record<string, MessageVar>): Message => ({ text, vars });

export const isMessage = (v: unknown): v is Message => typeof v === 'object' && v !== null && typeof (v as Message).text === 'string' && 'vars' in v;

/** Fills `{name}` placeholders; unknown ones stay as they are. */
export function fill(text: string, vars: Record<string, MessageVar> | undefined, format: (v: MessageVar) => string): string {
  return vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => (Object.hasOwn(vars, k) ? format(vars[k]) : m)) : text;
}

/** The English sentence, as the API and the logs give it. */
export function english(t: Text): string {
  if (typeof t === 'string') return t;
  return fill(t.text, t.vars, (v) => (typeof v === 'object' ? ('bytes' in v ? formatBytes(v.bytes) : english(v)) : String(v)));
}
