// Confines a stored maildir path to MAIL_ROOT. Pure: string checks only; the symlink checks on the
// components it returns are done by the walk, with lstat.
import path from 'node:path';
import { ScanError } from './scan-error.js';

/**
 * The absolute paths of every component below MAIL_ROOT of `<mailRoot>/<rel>/Maildir`, outermost first
 * (for `example.com/bob`: .../example.com, .../example.com/bob, .../example.com/bob/Maildir).
 * Throws ScanError('bad_path') for anything that is not a plain relative path inside MAIL_ROOT.
 */
export function maildirComponents(mailRoot: string, rel: string): string[] {
  const refuse = (why: string) => new ScanError('bad_path', `maildir path ${JSON.stringify(rel)} refused: ${why}`, rel);
  if (typeof rel !== 'string' || rel.length === 0) throw refuse('empty');
  if (rel.includes('\0')) throw refuse('contains NUL');
  if (rel.includes('\\')) throw refuse('contains a backslash');
  if (path.isAbsolute(rel)) throw refuse('absolute');
  if (rel.includes('..')) throw refuse('contains ..');
  const parts = rel.split('/');
  // Empty or "." segments would make two spellings for one mailbox; the panel never writes them.
  if (parts.some((p) => p === '' || p === '.')) throw refuse('empty or "." segment');
  const root = path.resolve(mailRoot);
  const full = path.resolve(root, rel, 'Maildir');
  if (!full.startsWith(root === '/' ? '/' : root + path.sep)) throw refuse('outside MAIL_ROOT');
  const out: string[] = [];
  let cur = root;
  for (const p of [...parts, 'Maildir']) {
    cur = cur === '/' ? `/${p}` : `${cur}/${p}`;
    out.push(cur);
  }
  return out;
}
