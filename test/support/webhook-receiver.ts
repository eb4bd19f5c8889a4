// A webhook receiver on loopback for the tests: records every request and answers as told.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** `answer` picks the status of request n (0-based); `hang` leaves requests unanswered. */
export async function startReceiver(opts: { answer?: (n: number) => number; hang?: boolean; redirectTo?: string } = {}) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const n = received.length;
      received.push({ headers: req.headers, body });
      if (opts.hang) return;
      if (opts.redirectTo) {
        res.writeHead(302, { location: opts.redirectTo }).end();
        return;
      }
      res.writeHead(opts.answer?.(n) ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** The parsed bodies of one event type. */
    events: (type?: string) => received.map((r) => JSON.parse(r.body)).filter((e) => !type || e.type === type),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
