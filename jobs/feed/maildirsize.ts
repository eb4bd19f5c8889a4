// Dovecot's own count of a mailbox, as its Maildir++ quota keeps it on the node's disk.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Maildir++'s maildirsize: a limits line, then "bytes count" lines that Dovecot appends on every
 * change (negative for removals) and folds into one on a recount. Their sum is Dovecot's count.
 */
export function parseMaildirsize(text: string): { bytes: number; messages: number } | null {
  const lines = text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  let bytes = 0;
  let messages = 0;
  for (const line of lines) {
    const m = /^\s*(-?\d+)\s+(-?\d+)\s*$/.exec(line);
    if (!m) return null;
    bytes += Number(m[1]);
    messages += Number(m[2]);
  }
  return { bytes, messages };
}

/** Dovecot's count of the mailbox stored at `maildir` (relative to MAIL_ROOT); null when there is none yet. */
export async function readDovecotCount(mailRoot: string, maildir: string) {
  const text = await readFile(path.join(mailRoot, maildir, 'Maildir', 'maildirsize'), 'utf8').catch(() => null);
  return text === null ? null : parseMaildirsize(text);
}
