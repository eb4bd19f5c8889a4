import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { afterUsageWrite } from '../services/usage/after-write.js';
import { Queues } from '../../jobs/queue/queues.js';
import { progressLine, scanNode, summaryTable } from './scan.js';
import { createRedis } from '../platform/redis.js';
import { createDb, type Db } from '../../db/database.js';
import { countNodeMailboxes } from '../../db/repositories/usage-feed.js';
import { countOperators, findUserByEmail, insertUser } from '../../db/repositories/users.js';
import { hashPassword, passwordProblem } from '../platform/passwords.js';
import { OPERATOR_SYSTEM } from '../services/auth/principal.js';
import { loadConfigOrExit, redactUrl, type Config } from '../platform/config.js';
import { checkContactEmail } from '../core/text.js';
import { AppError } from '../platform/errors.js';
import { createApiKey } from '../services/api-keys/service.js';
import { createReseller } from '../services/resellers/service.js';
import { prepareDatabase } from '../startup.js';

interface Command {
  usage: string;
  summary: string;
  options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;
  run(ctx: { db: Db; config: Config; values: Record<string, string | boolean | undefined> }): Promise<void>;
}

const cliPrincipal = { ...OPERATOR_SYSTEM, actor: { ...OPERATOR_SYSTEM.actor, label: 'cli' } };

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const commands: Record<string, Command> = {
  migrate: {
    usage: 'migrate',
    summary: 'create the database if missing and apply pending migrations',
    options: {},
    async run() {
      // prepareDatabase already ran before every command; say what it did.
    },
  },
  'reseller:create': {
    usage: 'reseller:create --name NAME [--contact EMAIL]',
    summary: 'create a reseller and print its new API key alone on the last line',
    options: { name: { type: 'string' }, contact: { type: 'string' } },
    async run({ db, values }) {
      if (!values.name) throw new AppError('validation', '--name is required');
      const r = await createReseller(db, cliPrincipal, { name: String(values.name), contactEmail: values.contact ? String(values.contact) : undefined });
      const { key } = await createApiKey(db, { ...cliPrincipal, role: 'reseller', resellerId: r.id }, { name: 'created by cli', readOnly: false });
      console.log(`reseller ${r.id} "${r.name}" created; its API key (shown once):`);
      console.log(key);
    },
  },
  scan: {
    usage: 'scan [--node NAME] [--full] [--mail-root DIR]',
    summary: 'measure every mailbox of a node now, in the foreground',
    options: { node: { type: 'string' }, full: { type: 'boolean' }, 'mail-root': { type: 'string' } },
    async run({ db, config, values }) {
      const node = values.node ? String(values.node) : config.node;
      const mailRoot = values['mail-root'] ? path.resolve(String(values['mail-root'])) : config.mailRoot;
      const total = await countNodeMailboxes(db, node);
      const tty = process.stdout.isTTY;
      let lastPrint = 0;
      const redis = createRedis(config.redisUrl, { name: 'mailpanel-cli' });
      await redis.connect();
      const queues = new Queues(redis, config.redisPrefix);
      const summary = await scanNode(
        db,
        { node, mailRoot, fullScanHours: config.fullScanHours },
        {
          // What this scan finds decides warnings and drift recounts as a worker's scan would.
          onWritten: afterUsageWrite({ db, queues, node, logger: pino({ level: 'warn' }, pino.destination(2)), now: () => new Date() }),
          full: !!values.full,
          total,
          progress: (s) => {
            if (tty) process.stdout.write(`\r${progressLine(s, total)}`);
            else if (Date.now() - lastPrint > 1000 || s.mailboxes === total) {
              lastPrint = Date.now();
              console.log(progressLine(s, total));
            }
          },
          onRefused: (id, code) => console.error(`mailbox ${id}: maildir path refused (${code})`),
        },
      );
      if (tty) process.stdout.write('\n');
      await queues.close();
      redis.disconnect();
      console.log(summaryTable(summary));
    },
  },
  'operator:create': {
    usage: 'operator:create --email EMAIL   (password on standard input)',
    summary: 'create an operator login; reads the password from standard input',
    options: { email: { type: 'string' } },
    async run({ db, config, values }) {
      const email = checkContactEmail(String(values.email ?? ''));
      if (!email.ok) throw new AppError('validation', `--email: ${email.message}`);
      const password = await readStdin();
      const weak = passwordProblem(password, config.minPasswordLength, [email.value]);
      if (weak) throw new AppError('validation', weak);
      if (await findUserByEmail(db, email.value)) throw new AppError('conflict', 'A login with this email address already exists.');
      await insertUser(db, { email: email.value, password_hash: await hashPassword(password), role: 'operator', reseller_id: null, customer_id: null });
      console.log(`operator ${email.value} created (${await countOperators(db)} operator(s) in all)`);
    },
  },
};

function help() {
  console.log('Usage: npm run cli -- <command> [options]\n\nCommands:');
  for (const c of Object.values(commands)) console.log(`  ${c.usage.padEnd(62)} ${c.summary}`);
  console.log(`  ${'help'.padEnd(62)} show this list`);
}

async function main() {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === 'help' || name === '--help') return help();
  const command = commands[name];
  if (!command) {
    console.error(`unknown command "${name}"`);
    help();
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const { values } = parseArgs({ args: rest, options: command.options, strict: true });
  try {
    const applied = await prepareDatabase(config.databaseUrl);
    if (name === 'migrate') console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
  } catch (err) {
    console.error(`cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)}: ${(err as Error).message}`);
    process.exit(1);
  }
  const db = createDb(config.databaseUrl, 2);
  try {
    await command.run({ db, config, values: values as Record<string, string | boolean | undefined> });
  } catch (err) {
    if (err instanceof AppError) {
      console.error(`error: ${err.message}`);
      process.exitCode = 1;
    } else throw err;
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
