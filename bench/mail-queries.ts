// The SQL Dovecot and Postfix run against the panel's views, as they run it: read from the deploy/
// templates (rendered), variables expanded and values escaped the way each server does. Used by
// bench/imap-storm.ts (EXPLAIN under load) and test/e2e-mail/explain.test.ts (index use asserted).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { DEFAULTS, DEPLOY_DIR, renderText } from '../deploy/render.js';

/**
 * `key = value` settings of a Dovecot dict/sql file or a Postfix lookup table, with Dovecot's
 * line continuation (a trailing backslash joins the next line) and without comments.
 */
export function readSettings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + lines[++i].trim();
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out[line.slice(0, eq).trim()] = line
      .slice(eq + 1)
      .trim()
      .replace(/\s+/g, ' ');
  }
  return out;
}

/** A value as the pgsql drivers put it inside '...': quotes doubled (standard_conforming_strings is on). */
const sqlEscape = (v: string) => v.replace(/'/g, "''");

/**
 * Dovecot's %-variables (doc.dovecot.org, 2.3 "Variables"): %u/%{user}, %n/%{username}, %d/%{domain},
 * %s/%{service}, %{lport}, with the L (lower-case) modifier; %% is a literal %. Values are escaped for SQL
 * as Dovecot's sql driver does. An unknown variable is an error, never left in the query.
 */
export function expandDovecot(template: string, v: { user: string; service: string; lport?: string | number }): string {
  const at = v.user.lastIndexOf('@');
  const values: Record<string, string> = {
    u: v.user,
    user: v.user,
    n: at < 0 ? v.user : v.user.slice(0, at),
    username: at < 0 ? v.user : v.user.slice(0, at),
    d: at < 0 ? '' : v.user.slice(at + 1),
    domain: at < 0 ? '' : v.user.slice(at + 1),
    s: v.service,
    service: v.service,
    lport: v.lport === undefined ? '' : String(v.lport),
  };
  return template.replace(/%%|%(L?)(?:\{([a-z_]+)\}|([a-zA-Z]))/g, (m, lower: string, long?: string, short?: string) => {
    if (m === '%%') return '%';
    const name = long ?? short!;
    if (!(name in values)) throw new Error(`unknown Dovecot variable ${m} in: ${template}`);
    const value = lower ? values[name].toLowerCase() : values[name];
    return sqlEscape(value);
  });
}

/** Postfix's pgsql_table(5) query expansion: %s the key, %u its local part, %d its domain; %% a literal %. */
export function expandPostfix(template: string, key: string): string {
  const at = key.lastIndexOf('@');
  const values: Record<string, string> = { s: key, u: at < 0 ? key : key.slice(0, at), d: at < 0 ? '' : key.slice(at + 1) };
  return template.replace(/%%|%([a-zA-Z0-9])/g, (m, name: string) => {
    if (m === '%%') return '%';
    if (!(name in values)) throw new Error(`unsupported Postfix expansion ${m} in: ${template}`);
    return sqlEscape(values[name]);
  });
}

export interface MailQueries {
  /** Dovecot passdb and userdb, Postfix virtual_mailbox_maps and virtual_mailbox_domains. */
  passwordQuery: string;
  userQuery: string;
  postfixAccounts: string;
  postfixDomains: string;
}

/** The query templates from deploy/ (or a rendered copy in dir), @PLACEHOLDERS@ rendered with the defaults. */
export async function mailQueryTemplates(dir?: { dovecot: string; postfix: string }): Promise<MailQueries> {
  const read = async (sub: 'dovecot' | 'postfix', file: string) => {
    const text = await readFile(join(dir?.[sub] ?? join(DEPLOY_DIR, sub), file), 'utf8');
    return readSettings(dir ? text : renderText(text, DEFAULTS, file));
  };
  const dovecot = await read('dovecot', 'dovecot-sql.conf.ext');
  const accounts = await read('postfix', 'mailpanel-accounts.cf');
  const domains = await read('postfix', 'mailpanel-domains.cf');
  for (const [name, v] of [
    ['password_query', dovecot.password_query],
    ['user_query', dovecot.user_query],
    ['accounts query', accounts.query],
    ['domains query', domains.query],
  ]) {
    if (!v) throw new Error(`no ${name} in the templates`);
  }
  return { passwordQuery: dovecot.password_query, userQuery: dovecot.user_query, postfixAccounts: accounts.query, postfixDomains: domains.query };
}

/** The four lookups for one address, as the servers send them after an IMAP login (userdb from the IMAP port). */
export function mailLookups(q: MailQueries, address: string, opts: { service?: string; lport?: string | number } = {}) {
  const service = opts.service ?? 'imap';
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return [
    { name: 'Dovecot password_query', sql: expandDovecot(q.passwordQuery, { user: address, service, lport: opts.lport }) },
    { name: 'Dovecot user_query', sql: expandDovecot(q.userQuery, { user: address, service, lport: opts.lport }) },
    { name: 'Postfix mailpanel-accounts', sql: expandPostfix(q.postfixAccounts, address) },
    { name: 'Postfix mailpanel-domains', sql: expandPostfix(q.postfixDomains, domain) },
  ];
}

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

export interface ExplainResult {
  /** Every scan: "Index Scan mailboxes_address_key on mailboxes", "Seq Scan on resellers", ... */
  scans: { type: string; relation?: string; index?: string }[];
  executionMs: number;
  planningMs: number;
  text: string;
}

/** EXPLAIN (ANALYZE, BUFFERS) of one query: its scans (from the JSON plan) and the text plan. */
export async function explainQuery(client: pg.Client | pg.PoolClient, sqlText: string, params: readonly unknown[] = []): Promise<ExplainResult> {
  const json = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sqlText}`, params as unknown[]);
  const top = (json.rows[0]['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }[])[0];
  const scans: ExplainResult['scans'] = [];
  const walk = (n: PlanNode) => {
    if (/Scan$/.test(n['Node Type'])) scans.push({ type: n['Node Type'], relation: n['Relation Name'], index: n['Index Name'] });
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(top.Plan);
  const text = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sqlText}`, params as unknown[]);
  return { scans, executionMs: top['Execution Time'], planningMs: top['Planning Time'], text: text.rows.map((r) => r['QUERY PLAN']).join('\n') };
}

/** "Index Scan using mailboxes_address_key on mailboxes; Seq Scan on resellers; ..." */
export const describeScans = (scans: ExplainResult['scans']) =>
  scans.map((s) => `${s.type}${s.index ? ` using ${s.index}` : ''}${s.relation ? ` on ${s.relation}` : ''}`).join('; ');

/** True when the plan reads `table` through an index and never scans it sequentially. */
export const indexedOn = (scans: ExplainResult['scans'], table: string) =>
  scans.some((s) => s.relation === table && /Index/.test(s.type)) && !scans.some((s) => s.relation === table && s.type === 'Seq Scan');
