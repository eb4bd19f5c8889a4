// Renders the Dovecot/Postfix templates in deploy/ (placeholders like @DB_NAME@) into a directory.
//
//   npx tsx deploy/render.ts OUT_DIR [KEY=VALUE ...]     e.g. DB_NAME=mailpanel MAIL_ROOT=/srv/vmail
//   npx tsx deploy/render.ts --defaults                  lists the placeholders and their defaults
//
// OUT_DIR/dovecot/ and OUT_DIR/postfix/ then hold the files an operator installs (deploy/README.md).
// The test rig (test/support/mail-stack.ts) renders the same templates through renderDeploy().
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectPath } from '../server/platform/paths.js';

export const DEPLOY_DIR = projectPath('deploy');

/** Every placeholder the production templates use, with the value an operator gets by default. */
export const DEFAULTS = {
  DB_HOST: '127.0.0.1',
  DB_PORT: '5432',
  DB_NAME: 'mailpanel',
  DB_USER: 'mailpanel_mail',
  MAIL_ROOT: '/var/vmail',
  MAIL_UID: '5000',
  MAIL_GID: '5000',
  MAIL_GROUP: 'vmail',
  DOVECOT_DIR: '/etc/dovecot',
  POSTFIX_DIR: '/etc/postfix',
  LMTP_ADDRESS: '127.0.0.1',
  PORT_LMTP: '24',
  NOTICE_LMTP_ADDRESS: '127.0.0.1',
  PORT_LMTP_NOTICE: '2424',
  QUOTA_STATUS_ADDRESS: '127.0.0.1',
  PORT_QUOTA_STATUS: '12340',
  LMTP_HOST: '127.0.0.1',
  POLICY_HOST: '127.0.0.1',
  POLICY_PORT: '10031',
  POLICY_DEFAULT_ACTION: 'DUNNO',
  EVENTS_HOST: '127.0.0.1',
  EVENTS_PORT: '9466',
  POLICY_TIMEOUT: '10s',
  // Submission (deploy/postfix/master.cf.mailpanel) and the Dovecot auth listener it asks.
  SUBMISSION_LISTEN: 'submission',
  SUBMISSION_TLS: 'encrypt',
  AUTH_ADDRESS: '127.0.0.1',
  PORT_AUTH: '12345',
} satisfies Record<string, string>;

export type DeployVars = Record<keyof typeof DEFAULTS, string>;
export type Vars = Record<string, string>;

const PLACEHOLDER = /@([A-Z][A-Z0-9_]*)@/g;

/** Rejects values that could break out of a config line or an SQL string literal. */
export function checkValue(key: string, value: string): void {
  if (/[\r\n'"\\]/.test(value)) throw new Error(`${key}: newlines, quotes and backslashes are not allowed`);
  if ((key.startsWith('PORT_') || key.endsWith('_PORT')) && !(/^\d+$/.test(value) && +value > 0 && +value < 65536)) {
    throw new Error(`${key}: not a port number: ${value}`);
  }
  if ((key === 'MAIL_UID' || key === 'MAIL_GID') && !/^\d+$/.test(value)) throw new Error(`${key}: not a number: ${value}`);
  if (key === 'MAIL_GROUP' && !/^[a-z_][a-z0-9_-]*$/i.test(value)) throw new Error(`${key}: not a group name: ${value}`);
  if ((key === 'MAIL_ROOT' || key.endsWith('_DIR')) && !/^\/\S*[^/\s]$/.test(value)) {
    throw new Error(`${key}: must be an absolute path without spaces or a trailing slash: ${value}`);
  }
}

/** Replaces every @KEY@; a placeholder without a value is an error, never left in the output. */
export function renderText(text: string, vars: Vars, source = 'template'): string {
  return text.replace(PLACEHOLDER, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`${source}: no value for @${key}@`);
    checkValue(key, value);
    return value;
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** Renders every file below srcDir into outDir (same relative paths); returns the written paths. */
export async function renderTree(srcDir: string, outDir: string, vars: Vars): Promise<string[]> {
  const written: string[] = [];
  for (const file of await listFiles(srcDir)) {
    const rel = relative(srcDir, file);
    const target = join(outDir, rel);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, renderText(await readFile(file, 'utf8'), vars, rel));
    // Dovecot reads its auth SQL config as root; nothing else needs to. (The dict service reads its
    // own as the dovecot user: deploy/README.md says how to protect it if it holds a password.)
    await chmod(target, /dovecot-sql(-app)?\.conf\.ext$/.test(rel) ? 0o600 : 0o644);
    written.push(target);
  }
  return written;
}

/** Renders deploy/dovecot and deploy/postfix into outDir/dovecot and outDir/postfix. */
export async function renderDeploy(outDir: string, overrides: Partial<DeployVars> = {}): Promise<{ vars: DeployVars; files: string[] }> {
  const vars: DeployVars = { ...DEFAULTS, ...overrides };
  // Deliveries on the notice port ignore the quota: it must never be the port Postfix delivers to.
  if (vars.PORT_LMTP_NOTICE === vars.PORT_LMTP || vars.PORT_LMTP_NOTICE === vars.PORT_QUOTA_STATUS) {
    throw new Error('PORT_LMTP_NOTICE must differ from PORT_LMTP and PORT_QUOTA_STATUS');
  }
  const files = [
    ...(await renderTree(join(DEPLOY_DIR, 'dovecot'), join(outDir, 'dovecot'), vars)),
    ...(await renderTree(join(DEPLOY_DIR, 'postfix'), join(outDir, 'postfix'), vars)),
  ];
  return { vars, files };
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--defaults') {
    for (const [k, v] of Object.entries(DEFAULTS)) console.log(`${k}=${v}`);
    return;
  }
  const [outDir, ...pairs] = argv;
  if (!outDir || outDir.startsWith('-')) {
    console.error('usage: npx tsx deploy/render.ts OUT_DIR [KEY=VALUE ...]   |   --defaults');
    process.exit(2);
  }
  const overrides: Vars = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    if (eq < 1 || !(key in DEFAULTS)) throw new Error(`unknown setting: ${pair} (see --defaults)`);
    overrides[key] = pair.slice(eq + 1);
  }
  const { files } = await renderDeploy(outDir, overrides);
  for (const f of files) console.log(f);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
