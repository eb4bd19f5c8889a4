// IMAP sessions against the test mail stack's Dovecot (plaintext on loopback).
import { ImapFlow } from 'imapflow';
import type { MailStack } from './mail-stack.js';

/** A client not yet connected; its socket errors are kept off the process (a failed login rejects connect()). */
export function imapClient(stack: MailStack, user: string, pass: string): ImapFlow {
  const client = new ImapFlow({ host: '127.0.0.1', port: stack.ports.imap, secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });
  client.on('error', () => {});
  return client;
}

/** Signs in and out; true when Dovecot let the user in, false when it refused the credentials. */
export async function imapLogin(stack: MailStack, user: string, pass: string): Promise<boolean> {
  const client = imapClient(stack, user, pass);
  try {
    await client.connect();
  } catch (err) {
    if ((err as { authenticationFailed?: boolean }).authenticationFailed) return false;
    throw err;
  }
  await client.logout();
  return true;
}

/** Runs `fn` in a signed-in session and logs out however it ends. */
export async function withImap<T>(stack: MailStack, user: string, pass: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = imapClient(stack, user, pass);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** A folder's message count as STATUS gives it; -1 when the server gives none. */
export async function messagesIn(c: ImapFlow, folder: string): Promise<number> {
  const s = await c.status(folder, { messages: true });
  return s ? (s.messages ?? 0) : -1;
}
