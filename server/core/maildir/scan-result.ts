// What a batch scan takes and gives, and its form on the wire between the pool and its threads.
import { ScanError, type ScanErrorData } from './scan-error.js';
import type { WalkOptions, WalkResult } from './walk.js';

export type MailboxId = number | string;

export interface MailboxUsage {
  bytes: number;
  messages: number;
  /**
   * JSON text to store and pass back as `previous` next time; null when there is no Maildir yet.
   * Text rather than an object: it is what the database wants, and one string crosses from a
   * thread far more cheaply than the dozens of small arrays it encodes.
   */
  state: string | null;
  /** Directories listed (readdir), the Maildir root included: 0 for an unchanged mailbox. */
  dirsRead: number;
  /** Messages whose name had no S=, so their size came from lstat. */
  statFallbacks: number;
  /**
   * False only when a valid `previous` was given and the new state, so bytes and messages too, equals
   * it: nothing to write. `state` is then `previous` itself when that was text.
   */
  changed: boolean;
}

export function usageOf(walk: WalkResult, previous: unknown): MailboxUsage {
  const state = !walk.changed && typeof previous === 'string' ? previous : walk.state && JSON.stringify(walk.state);
  return { ...walk, state };
}

export interface ScanItem {
  id: MailboxId;
  /** As stored: `<domain>/<localpart>`, relative to MAIL_ROOT. */
  maildir: string;
  /** The state stored from the last scan (object or JSON text); absent or invalid means a full scan. */
  previous?: unknown;
}

export type ScanResult = ({ id: MailboxId; ok: true } & MailboxUsage) | { id: MailboxId; ok: false; error: ScanError };

/** `state: undefined` stands for "the item's `previous`", which the pool still holds: no need to send it back. */
export type WireResult =
  | ({ id: MailboxId; ok: true } & Omit<MailboxUsage, 'state'> & { state: string | null | undefined })
  | { id: MailboxId; ok: false; error: ScanErrorData };

export interface ScanTask {
  /** Identifies one scan() call: the shared lstat cache of a thread lives as long as one run. */
  run: number;
  task: number;
  mailRoot: string;
  options: WalkOptions;
  items: ScanItem[];
}

export type WorkerMessage = { type: 'ready' } | { type: 'done'; task: number; results: WireResult[] };

export function fromWire(r: WireResult, item: ScanItem): ScanResult {
  if (!r.ok) return { id: r.id, ok: false, error: ScanError.from(r.error) };
  // In place: there are thousands per scan and the main thread should allocate as little as it can.
  if (r.state === undefined) r.state = item.previous as string;
  return r as ScanResult;
}
