// Who still uses a mailbox: the latest sign-in per protocol as Dovecot recorded it, and the staff's
// report of mailboxes nobody signed in to for some days (candidates for cleaning up).
import type { Db } from '../../../db/database.js';
import { lastLoginsOf, unusedMailboxes } from '../../../db/repositories/last-logins.js';
import { AppError } from '../../platform/errors.js';
import type { Principal } from '../auth/principal.js';
import { getMailboxOr404 } from './service.js';

export async function mailboxLogins(db: Db, p: Principal, address: string) {
  const m = await getMailboxOr404(db, p, address);
  return lastLoginsOf(db, m.address);
}

export function unusedReport(db: Db, p: Principal, days: number, page: { limit: number; offset: number }) {
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new AppError('validation', 'Enter a number of days from 1 to 3650.', 'days');
  return unusedMailboxes(db, p, days, page.limit, page.offset);
}
