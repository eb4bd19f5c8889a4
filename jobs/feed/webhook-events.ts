// The central worker hears of new webhook events at their commit (a trigger announces them, see the
// webhooks migration) and asks for a fan-out; a (re)connect fans out what it may have missed.
import type { Logger } from 'pino';
import { ChannelListener } from '../../db/listen.js';
import type { Queues } from '../queue/queues.js';

export function webhookEventsListener(databaseUrl: string, queues: Queues, log: Logger) {
  const fanOut = async () => {
    await queues.enqueue('webhook-fanout', {}, {});
  };
  return new ChannelListener(
    { databaseUrl, channel: 'webhook_events', applicationName: 'mailpanel-webhook-events' },
    {
      catchUp: fanOut,
      apply: fanOut,
      down: () => {},
      failed: (err, failures, retryMs) => log.warn({ err, failures, retryMs }, 'webhook events: not listening yet'),
    },
  );
}
