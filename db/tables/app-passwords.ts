import type { ColumnType, Generated } from 'kysely';

export interface AppPasswordsTable {
  /** 8 characters [a-z0-9], also the start of the secret: Dovecot finds the row by it (deploy/dovecot/dovecot-sql-app.conf.ext). */
  id: string;
  mailbox_id: number;
  name: string;
  /** {ARGON2ID}…, the scheme Dovecot verifies, like the main password. */
  password_hash: string;
  /** Which of imap, pop3, smtp, sieve it may sign in to. */
  protocols: string[];
  expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Client networks (Dovecot's allow_nets: CIDRs, comma-separated); null: any. */
  allow_nets: string | null;
  created_at: Generated<Date>;
}
