// The direction of dependencies, checked in CI (`npm run depcheck`, part of `npm test`). Each layer may
// import the layers below it, never those above:
//
//   entry points   server/main.ts, server/roles.ts, server/startup.ts, server/cli/, jobs/main.ts, deploy/
//   web | worker | policy   server/web/ | jobs/worker.ts, jobs/handlers/, jobs/scan/, jobs/feed/, jobs/dovecot/, jobs/schedules.ts | server/policy/
//   services       server/services/   what web and worker both call
//   queue          jobs/queue/        the typed job registry and its producers
//   db             db/                the schema and every query
//   platform       server/platform/   config, logging, Redis, metrics, mailer, errors, paths, crypto
//   core           server/core/       pure rules: no I/O, imports nothing of ours
const layer = {
  core: '^server/core/',
  platform: '^server/platform/',
  db: '^db/',
  queue: '^jobs/queue/',
  services: '^server/services/',
  policy: '^server/policy/',
  web: '^server/web/',
  worker: '^jobs/(worker\\.ts|handlers/|scan/|feed/|dovecot/|schedules\\.ts)',
  entry: '^(server/(main|roles|startup)\\.ts|server/cli/|jobs/main\\.ts|deploy/)',
};
const above = (...names) => names.map((n) => layer[n]);
const rule = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'A cycle makes load order matter and layers meaningless.', severity: 'error', from: {}, to: { circular: true } },
    rule('core-is-pure', 'Pure rules import nothing of ours but other pure rules.', layer.core, '^(server/(?!core/)|jobs/|db/|deploy/)'),
    rule(
      'platform-below-app',
      'Platform knows no database, queue, service or face.',
      layer.platform,
      above('db', 'queue', 'services', 'policy', 'web', 'worker', 'entry'),
    ),
    rule(
      'db-below-app',
      'db/ holds the schema and the queries; it calls nothing above it.',
      layer.db,
      above('queue', 'services', 'policy', 'web', 'worker', 'entry'),
    ),
    rule('migrations-alone', 'A migration must mean the same forever: it imports nothing of the app.', '^db/migrations/', '^(server|jobs|db/(?!migrations/))'),
    rule(
      'queue-below-services',
      'The job registry is used by producers and workers alike.',
      layer.queue,
      above('services', 'policy', 'web', 'worker', 'entry'),
    ),
    rule(
      'services-below-faces',
      'Services are called by the web, the worker and the CLI, never the reverse.',
      layer.services,
      above('policy', 'web', 'worker', 'entry'),
    ),
    rule('web-not-worker', 'The web process never loads the worker (or the policy service, or an entry point).', layer.web, above('worker', 'policy', 'entry')),
    rule('worker-not-web', 'The worker never loads the web app (or the policy service, or an entry point).', layer.worker, above('web', 'policy', 'entry')),
    rule(
      'policy-alone',
      'The policy service answers Postfix from core rules and its own queries.',
      layer.policy,
      above('services', 'queue', 'web', 'worker', 'entry'),
    ),
    rule('product-not-tests', 'The product never imports tests or benches.', '^(server|jobs|db|deploy)/', '^(test|bench)/'),
    {
      name: 'everything-in-a-layer',
      comment: 'A new top-level place under server/ or jobs/ must be given a layer here.',
      severity: 'error',
      from: { path: '^(server|jobs)/', pathNot: Object.values(layer) },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    parser: 'swc',
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
