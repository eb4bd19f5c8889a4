// The production templates in deploy/ as an operator installs them (deploy/README.md): rendered with
// the defaults, dropped into a copy of Debian's stock /etc/dovecot and appended to Postfix's stock
// main.cf, the real doveconf/postconf accept them without a warning.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, renderDeploy, renderText } from '../../deploy/render.js';
import { backdate } from '../support/mail-stack.js';

const run = promisify(execFile);
let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailpanel-deploy-'));
  ({ files } = await renderDeploy(join(dir, 'out'), { DOVECOT_DIR: join(dir, 'etc-dovecot'), POSTFIX_DIR: join(dir, 'etc-postfix') }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('deploy templates', () => {
  it('render every placeholder, and refuse values that would break a line or a query', async () => {
    expect(files.map((f) => f.slice(dir.length + 5)).sort()).toEqual([
      'dovecot/conf.d/90-mailpanel.conf',
      'dovecot/dovecot-dict-sql.conf.ext',
      'dovecot/dovecot-sql-app.conf.ext',
      'dovecot/dovecot-sql.conf.ext',
      'postfix/mailpanel-accounts.cf',
      'postfix/mailpanel-domains.cf',
      'postfix/mailpanel-senders.cf',
      'postfix/main.cf.mailpanel',
      'postfix/master.cf.mailpanel',
    ]);
    for (const f of files) expect(await readFile(f, 'utf8')).not.toMatch(/@[A-Z][A-Z0-9_]*@/);
    expect(() => renderText('x @DB_NAME@', { ...DEFAULTS, DB_NAME: "x' OR '1'='1" })).toThrow(/quotes/);
    expect(() => renderText('x @NOPE@', DEFAULTS)).toThrow(/no value for @NOPE@/);
    await expect(renderDeploy(join(dir, 'bad'), { PORT_LMTP_NOTICE: DEFAULTS.PORT_LMTP })).rejects.toThrow(/must differ/);
  });

  it('Dovecot 2.3 accepts 90-mailpanel.conf inside the stock Debian configuration', async () => {
    const etc = join(dir, 'etc-dovecot');
    await cp('/etc/dovecot', etc, { recursive: true });
    await cp(join(dir, 'out/dovecot/dovecot-sql.conf.ext'), join(etc, 'dovecot-sql.conf.ext'));
    await cp(join(dir, 'out/dovecot/conf.d/90-mailpanel.conf'), join(etc, 'conf.d/90-mailpanel.conf'));
    const auth = join(etc, 'conf.d/10-auth.conf');
    await writeFile(auth, (await readFile(auth, 'utf8')).replace(/^!include auth-system\.conf\.ext/m, '#!include auth-system.conf.ext'));

    const { stdout, stderr } = await run('doveconf', ['-c', join(etc, 'dovecot.conf'), '-n']);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/passdb \{\n {2}args = \S+\/dovecot-sql\.conf\.ext\n {2}driver = sql\n\}/);
    expect(stdout).not.toMatch(/driver = pam/);
    expect(stdout).toMatch(/inet_listener lmtp-notice \{\n {4}address = 127\.0\.0\.1\n {4}port = 2424/);
    expect(stdout).toMatch(/quota_grace = 0/);
    expect(stdout).toMatch(/lmtp_rcpt_check_quota = yes/);
  });

  it('Postfix 3.7 accepts main.cf.mailpanel appended to the stock main.cf; the policy comes after reject_unauth_destination', async () => {
    const etc = join(dir, 'etc-postfix');
    // master.cf: the stock one with the submission service appended, as deploy/README.md says.
    await mkdir(etc, { recursive: true });
    await writeFile(
      join(etc, 'master.cf'),
      `${await readFile('/etc/postfix/master.cf', 'utf8')}\n${await readFile(join(dir, 'out/postfix/master.cf.mailpanel'), 'utf8')}`,
    );
    for (const f of ['mailpanel-domains.cf', 'mailpanel-accounts.cf', 'mailpanel-senders.cf']) await cp(join(dir, 'out/postfix', f), join(etc, f));
    const stock = await readFile('/etc/postfix/main.cf.proto', 'utf8');
    // (a configured Debian main.cf names the host; without it postconf waits for a DNS lookup)
    await writeFile(join(etc, 'main.cf'), `myhostname = mail.example.test\n${stock}\n${await readFile(join(dir, 'out/postfix/main.cf.mailpanel'), 'utf8')}`);

    await backdate(etc);
    const names = ['smtpd_recipient_restrictions', 'smtpd_policy_service_default_action', 'virtual_transport', 'virtual_mailbox_maps'];
    const { stdout, stderr } = await run('postconf', ['-c', etc, ...names]);
    expect(stderr).toBe('');
    const cf = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/ = /, 2) as [string, string]),
    );
    const restrictions = cf.smtpd_recipient_restrictions.split(/,\s*/);
    expect(restrictions.indexOf('reject_unauth_destination')).toBeGreaterThanOrEqual(0);
    expect(restrictions.indexOf('reject_unauth_destination')).toBeLessThan(restrictions.indexOf('reject_unlisted_recipient'));
    expect(restrictions.at(-1)).toBe('check_policy_service inet:127.0.0.1:10031');
    expect(cf.smtpd_policy_service_default_action).toBe('DUNNO');
    expect(cf.virtual_transport).toBe('lmtp:inet:127.0.0.1:24');
    expect(cf.virtual_mailbox_maps).toBe(`proxy:pgsql:${etc}/mailpanel-accounts.cf`);
    // Submission: SASL through Dovecot, only authenticated clients, each sending as itself, the policy service asked.
    const sub = await run('postconf', [
      '-c',
      etc,
      '-P',
      'submission/inet/smtpd_sasl_type',
      'submission/inet/smtpd_recipient_restrictions',
      'submission/inet/smtpd_sender_restrictions',
    ]);
    expect(sub.stderr).toBe('');
    expect(sub.stdout).toContain('submission/inet/smtpd_sasl_type = dovecot');
    expect(sub.stdout).toContain('submission/inet/smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:10031, permit_sasl_authenticated, reject');
    expect(sub.stdout).toContain('submission/inet/smtpd_sender_restrictions = reject_sender_login_mismatch');
  });
});
