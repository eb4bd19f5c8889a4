import type net from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  to: string[];
  raw: string;
  at: number;
}

/**
 * A real SMTP server on 127.0.0.1 that keeps what it accepts. `reply` decides per recipient:
 * null accepts, a {code, text} refuses (4xx temporary, 5xx permanent).
 */
export async function startSink(
  port = 0,
  reply: (rcpt: string, n: number) => { code: number; text: string } | null = () => null,
  /** Awaited before a recipient is answered: lets a test hold a client in the middle of a transaction. */
  beforeRcpt: () => Promise<void> = async () => {},
) {
  const received: Received[] = [];
  let rcpts = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    maxClients: 1000,
    onRcptTo(address, _session, callback) {
      void beforeRcpt().then(() => {
        const r = reply(address.address, rcpts++);
        if (!r) return callback();
        callback(Object.assign(new Error(r.text), { responseCode: r.code }));
      });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as net.AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
