// `npm run stack`: Dovecot and Postfix from deploy/ on the ports asked for, in the foreground,
// reading the panel's database; SIGTERM stops both.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { LineClient, freePorts } from '../support/mail-stack.js';
import { startScript } from '../support/process.js';

let database: TestDatabase;
let mailRoot: string;
beforeAll(async () => {
  database = await createTestDatabase();
  mailRoot = await mkdtemp(join(tmpdir(), 'mp-stack-root-'));
});
afterAll(async () => {
  await database.drop();
  await rm(mailRoot, { recursive: true, force: true });
});

async function banner(port: number) {
  const c = await LineClient.connect(port, 5000);
  try {
    return await c.readLine();
  } finally {
    c.close();
  }
}

describe('npm run stack', () => {
  it('serves SMTP, IMAP and POP3 on the ports asked for and stops both daemons on SIGTERM', async () => {
    const [smtp, imap, pop3, notice] = await freePorts(4);
    const stack = startScript(
      'server/cli/stack.ts',
      {
        DATABASE_URL: database.url,
        MAIL_ROOT: mailRoot,
        STACK_SMTP_PORT: String(smtp),
        STACK_IMAP_PORT: String(imap),
        STACK_POP3_PORT: String(pop3),
        STACK_NOTICE_PORT: String(notice),
      },
      /mail stack up/,
    );
    await stack.started;
    expect(await banner(smtp)).toMatch(/^220 /);
    expect(await banner(imap)).toMatch(/^\* OK/);
    expect(await banner(pop3)).toMatch(/^\+OK/);
    expect(stack.output()).toContain(`notice listener on 127.0.0.1:${notice}`);
    expect(await stack.stop()).toBe(0);
    expect(stack.output()).toContain('mail stack stopped');
    await expect(banner(smtp)).rejects.toThrow();
  });
});
