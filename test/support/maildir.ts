import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

let seq = 0;
/** Writes one message the way Dovecot names it (with ,S=<size>) into a mailbox's Maildir folder. */
export function writeMessage(mailRoot: string, maildir: string, size: number, folder = '', sub: 'cur' | 'new' = 'cur') {
  const dir = path.join(mailRoot, maildir, 'Maildir', folder, sub);
  mkdirSync(dir, { recursive: true });
  const name = `${1700000000 + seq}.M${seq++}P1.test,S=${size},W=${size + 10}${sub === 'cur' ? ':2,S' : ''}`;
  writeFileSync(path.join(dir, name), Buffer.alloc(size, 120));
  return path.join(dir, name);
}
