import type { Db } from '../database.js';

export interface NewAppPassword {
  id: string;
  mailbox_id: number;
  name: string;
  password_hash: string;
  protocols: string[];
  expires_at: Date | null;
  allow_nets: string | null;
}

/** Throws a unique violation in the unlikely case the random id is taken. */
export function insertAppPassword(db: Db, values: NewAppPassword) {
  return db
    .insertInto('app_passwords')
    .values(values)
    .returning(['id', 'name', 'protocols', 'expires_at', 'allow_nets', 'created_at'])
    .executeTakeFirstOrThrow();
}

/** A mailbox's app passwords, never their hashes. */
export function appPasswordsOf(db: Db, mailboxId: number) {
  return db
    .selectFrom('app_passwords')
    .select(['id', 'name', 'protocols', 'expires_at', 'allow_nets', 'created_at'])
    .where('mailbox_id', '=', mailboxId)
    .orderBy('created_at')
    .execute();
}

export function countAppPasswords(db: Db, mailboxId: number) {
  return db
    .selectFrom('app_passwords')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('mailbox_id', '=', mailboxId)
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
}

/** Deletes one of the mailbox's app passwords; false when it has none by that id. */
export async function deleteAppPassword(db: Db, mailboxId: number, id: string): Promise<boolean> {
  const r = await db.deleteFrom('app_passwords').where('mailbox_id', '=', mailboxId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
