import net from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { classifySmtpError, createMailer, retryDelay, type AlertMessage, type Mailer } from '../../server/platform/mailer.js';
import { renderAlertEmail } from '../../server/services/alerts/render.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1 (free port) that keeps what it accepts; `rcptReply` makes it refuse recipients. */
async function startSink(rcptReply?: { code: number; text: string }) {
  const received: Received[] = [];
  const options: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (!rcptReply) return callback();
      const err = Object.assign(new Error(rcptReply.text), { responseCode: rcptReply.code });
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as net.AddressInfo;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, received };
}

/** A port nothing listens on: bound once to get a free number, then released. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Accepts TCP connections and never says a word (no SMTP greeting). */
async function silentServer(): Promise<number> {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  );
  return (srv.address() as net.AddressInfo).port;
}

const cleanups: Array<() => Promise<void>> = [];
const mailers: Mailer[] = [];
afterEach(async () => {
  for (const m of mailers.splice(0)) m.close();
  for (const c of cleanups.splice(0)) await c();
});

function mailer(port: number, timeoutMs?: number) {
  const m = createMailer(`smtp://127.0.0.1:${port}`, 'Mail Hosting <noreply@panel.example.com>', { timeoutMs });
  mailers.push(m);
  return m;
}

const email = renderAlertEmail({
  kind: 'warning',
  level: '90',
  usedBytes: 460 * 1024 * 1024,
  quotaBytes: 524_288_000,
  address: 'info@xn--mnchen-3ya.de',
  language: 'de',
  panelUrl: 'https://panel.example.com/mailboxes/7',
});
const message = (over: Partial<AlertMessage> = {}): AlertMessage => ({
  to: 'info@xn--mnchen-3ya.de',
  ...email,
  messageId: '<alert-123-mailbox@mailpanel.invalid>',
  kind: 'warning',
  ...over,
});

/** Header block of a raw message, folded lines joined, as [name, value] pairs. */
function headersOf(raw: string): Array<[string, string]> {
  const head = raw.split(/\r\n\r\n/)[0].replace(/\r\n[ \t]+/g, ' ');
  return head.split('\r\n').map((line) => {
    const i = line.indexOf(':');
    return [line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()];
  });
}
const header = (raw: string, name: string) =>
  headersOf(raw)
    .filter(([n]) => n === name.toLowerCase())
    .map(([, v]) => v);

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the send to fail');
}

describe('createMailer against a real SMTP sink', () => {
  it('delivers one message with the alert headers and both parts', async () => {
    const sink = await startSink();
    const result = await mailer(sink.port).send(message());
    expect(result.messageId).toBe('<alert-123-mailbox@mailpanel.invalid>');
    expect(sink.received).toHaveLength(1);
    const [got] = sink.received;
    expect(got.from).toBe('noreply@panel.example.com');
    // smtp-server shows envelope domains decoded from punycode; the To header shows what was sent.
    expect(got.to).toEqual(['info@münchen.de']);
    expect(header(got.raw, 'To')).toEqual(['info@xn--mnchen-3ya.de']);
    expect(header(got.raw, 'Message-ID')).toEqual(['<alert-123-mailbox@mailpanel.invalid>']);
    expect(header(got.raw, 'Auto-Submitted')).toEqual(['auto-generated']);
    expect(header(got.raw, 'X-Mailpanel-Alert')).toEqual(['warning']);
    expect(header(got.raw, 'X-Auto-Response-Suppress')).toEqual(['All']);
    expect(header(got.raw, 'Content-Type')[0]).toMatch(/^multipart\/alternative/);
    expect(got.raw).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(got.raw).toMatch(/Content-Type: text\/html; charset=utf-8/);
    // The German subject with "münchen" and "%" travels RFC 2047-encoded.
    expect(header(got.raw, 'Subject')[0]).toMatch(/^=\?UTF-8\?/);
  });

  it('sends the same Message-ID again on a resend, so the two are recognisably one alert', async () => {
    const sink = await startSink();
    const m = mailer(sink.port);
    await m.send(message({ kind: 'full' }));
    await m.send(message({ kind: 'full' }));
    expect(sink.received.map((r) => header(r.raw, 'Message-ID')[0])).toEqual([
      '<alert-123-mailbox@mailpanel.invalid>',
      '<alert-123-mailbox@mailpanel.invalid>',
    ]);
    expect(header(sink.received[0].raw, 'X-Mailpanel-Alert')).toEqual(['full']);
  });

  it('a CR/LF in an override subject adds no header and no recipient', async () => {
    const sink = await startSink();
    const injected = renderAlertEmail({
      kind: 'full',
      level: 'full',
      usedBytes: 524_288_000,
      quotaBytes: 524_288_000,
      address: 'info@example.com',
      language: 'en',
      panelUrl: 'https://panel.example.com/',
      overrides: { subject: 'Full\r\nBcc: victim@example.org\r\nX-Evil: yes' },
    });
    // Also straight into send(), past the renderer.
    await mailer(sink.port).send(message({ to: 'info@example.com', ...injected }));
    await mailer(sink.port).send(message({ to: 'info@example.com', subject: 'Full\r\nBcc: victim@example.org\nX-Evil: yes' }));
    expect(sink.received).toHaveLength(2);
    for (const got of sink.received) {
      expect(got.to).toEqual(['info@example.com']);
      expect(header(got.raw, 'Bcc')).toEqual([]);
      expect(header(got.raw, 'X-Evil')).toEqual([]);
      expect(header(got.raw, 'Subject')).toEqual(['Full Bcc: victim@example.org X-Evil: yes']);
    }
  });

  it('452 on RCPT is a temporary failure', async () => {
    const sink = await startSink({ code: 452, text: 'Mailbox full, try again later' });
    const err = await failureOf(mailer(sink.port).send(message()));
    expect((err as { responseCode?: number }).responseCode).toBe(452);
    expect(classifySmtpError(err)).toBe('temporary');
    expect(sink.received).toHaveLength(0);
  });

  it('550 on RCPT is a permanent failure', async () => {
    const sink = await startSink({ code: 550, text: 'No such user' });
    const err = await failureOf(mailer(sink.port).send(message()));
    expect((err as { responseCode?: number }).responseCode).toBe(550);
    expect(classifySmtpError(err)).toBe('permanent');
  });

  it('a closed port is a temporary failure', async () => {
    const err = await failureOf(mailer(await closedPort()).send(message()));
    expect(classifySmtpError(err)).toBe('temporary');
  });

  it('a server that never greets times out as a temporary failure', async () => {
    const started = Date.now();
    const err = await failureOf(mailer(await silentServer(), 300).send(message()));
    expect((err as { code?: string }).code).toBe('ETIMEDOUT');
    expect(classifySmtpError(err)).toBe('temporary');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('classifySmtpError', () => {
  it.each([
    [{ responseCode: 550, code: 'EENVELOPE' }, 'permanent'],
    [{ responseCode: 552 }, 'permanent'],
    [{ responseCode: 554, code: 'EMESSAGE' }, 'permanent'],
    [{ responseCode: 503, code: 'EPROTOCOL' }, 'temporary'],
    [{ responseCode: 421 }, 'temporary'],
    [{ responseCode: 451, code: 'EMESSAGE' }, 'temporary'],
    [{ responseCode: 452, code: 'EENVELOPE' }, 'temporary'],
    [{ code: 'ECONNREFUSED' }, 'temporary'],
    [{ code: 'ECONNRESET' }, 'temporary'],
    [{ code: 'ETIMEDOUT' }, 'temporary'],
    [{ code: 'ECONNECTION' }, 'temporary'],
    [{ code: 'ESOCKET' }, 'temporary'],
    [{ code: 'EDNS' }, 'temporary'],
    [{ code: 'EAUTH', responseCode: 535 }, 'temporary'],
    [{ code: 'EENVELOPE' }, 'permanent'],
    [{ code: 'EMESSAGE' }, 'permanent'],
    [new Error('something odd'), 'temporary'],
    [null, 'temporary'],
    ['a string', 'temporary'],
  ])('%j is %s', (err, expected) => {
    expect(classifySmtpError(err)).toBe(expected);
  });
});

describe('retryDelay', () => {
  it('doubles per attempt with equal jitter: between half and all of the ceiling', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(a, 1000, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => retryDelay(a, 1000, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelay(3, 1000, () => 0.5)).toBe(3000);
  });
  it('is capped, also for absurd attempt numbers', () => {
    expect(retryDelay(40, 60_000, () => 1, 3_600_000)).toBe(3_600_000);
    expect(retryDelay(10_000, 60_000, () => 1)).toBe(6 * 3_600_000);
    expect(Number.isFinite(retryDelay(Number.MAX_SAFE_INTEGER, 1000, () => 0.3))).toBe(true);
  });
  it('treats attempt 0 or less like the first, and clamps a bad rng', () => {
    expect(retryDelay(0, 1000, () => 1)).toBe(1000);
    expect(retryDelay(-3, 1000, () => 7)).toBe(1000);
    expect(retryDelay(1, 1000, () => -1)).toBe(500);
  });
  it('spreads real random delays across the range', () => {
    const delays = Array.from({ length: 200 }, () => retryDelay(5, 1000));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(8000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(16000);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });
});
