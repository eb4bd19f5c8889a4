// The end-to-end tests' mail stack: deploy/local-stack.ts on free ports, reading a test database.
import { startMailStack as start, type MailStackOptions } from '../../deploy/local-stack.js';
import { urlFor } from './db-names.js';

export * from '../../deploy/local-stack.js';

export const startMailStack = (opts: Omit<MailStackOptions, 'databaseUrl'> & { databaseName: string }) =>
  start({ ...opts, databaseUrl: urlFor(opts.databaseName) });
