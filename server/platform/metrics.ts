import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// One registry per process: each role records what happens in it; the web's /metrics serves them all
// when the roles share a process (npm start), and the gauges read shared state (Redis, PostgreSQL).
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'mailpanel_' });

export const scanDuration = new Histogram({
  name: 'mailpanel_scan_duration_seconds',
  help: 'Time to measure one mailbox on disk',
  labelNames: ['full'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  registers: [registry],
});

let policySource: (() => Record<string, number>) | null = null;
/** The policy service counts its own answers; this process's metrics read them when it runs here. */
export const policyCounters = (source: () => Record<string, number>) => {
  policySource = source;
};
new Counter({
  name: 'mailpanel_policy_decisions_total',
  help: 'Postfix policy answers by action (dunno, reject, defer) since start',
  labelNames: ['action'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [action, n] of Object.entries(policySource?.() ?? { dunno: 0, reject: 0, defer: 0 })) this.inc({ action }, n);
  },
});

export const queueJobs = new Gauge({
  name: 'mailpanel_queue_jobs',
  help: 'Jobs per queue and state',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
});
export const alertDeliveries = new Gauge({
  name: 'mailpanel_alert_deliveries',
  help: 'Quota warning deliveries by status',
  labelNames: ['status'] as const,
  registers: [registry],
});
export const mailboxesByLevel = new Gauge({
  name: 'mailpanel_mailboxes',
  help: 'Measured mailboxes by quota level',
  labelNames: ['level'] as const,
  registers: [registry],
});

// Dovecot's change feed (jobs/feed): whether its listener is connected, what it applied, and drift.
export const feedConnected = new Gauge({
  name: 'mailpanel_feed_connected',
  help: "1 while the worker listens to Dovecot's usage feed, 0 during a gap (usage then comes from scans only)",
  registers: [registry],
});
export const feedUpdates = new Counter({
  name: 'mailpanel_feed_updates_total',
  help: 'Usage figures from Dovecot applied to mailboxes',
  registers: [registry],
});
export const feedGaps = new Counter({
  name: 'mailpanel_feed_gaps_total',
  help: 'Times the usage feed listener lost its database connection',
  registers: [registry],
});
export const feedLag = new Histogram({
  name: 'mailpanel_feed_lag_seconds',
  help: 'From Dovecot writing a figure to the mailbox usage row committed',
  buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 60],
  registers: [registry],
});
export const driftDetected = new Counter({
  name: 'mailpanel_usage_drift_total',
  help: "Scans that found the disk and Dovecot's count apart by more than the threshold",
  registers: [registry],
});
export const quotaRecalcs = new Counter({
  name: 'mailpanel_quota_recalcs_total',
  help: "Dovecot quota recounts run by this node's worker, by result",
  labelNames: ['result'] as const,
  registers: [registry],
});
