import type { Migration } from 'kysely';
import * as initial from './2026-11-26T1200-initial.js';
import * as usageScans from './2026-11-26T1400-usage-scans.js';
import * as alerts from './2026-11-26T1500-alerts.js';
import * as security from './2026-11-26T1600-security.js';
import * as imports from './2026-11-26T1700-imports.js';
import * as listIndexes from './2026-11-26T1800-list-indexes.js';
import * as totpSteps from './2026-11-26T1900-totp-steps.js';
import * as domainNode from './2026-11-26T2000-domain-node.js';
import * as usageOnMailboxes from './2026-11-26T2100-usage-on-mailboxes.js';
import * as usageFeed from './2026-12-03T1000-usage-feed.js';
import * as deletedMailboxes from './2026-12-03T1100-deleted-mailboxes.js';
import * as passwordResets from './2026-12-03T1200-password-resets.js';
import * as usageFillfactor from './2026-12-03T1900-usage-fillfactor.js';
import * as scanStateText from './2026-12-03T1910-scan-state-text.js';
import * as trashRoom from './2026-12-04T1000-trash-room.js';
import * as cleanups from './2026-12-04T1100-cleanups.js';
import * as autoPurge from './2026-12-04T1200-auto-purge.js';
import * as mailboxSessions from './2026-12-04T1300-mailbox-sessions.js';
import * as webhooks from './2026-12-05T0900-webhooks.js';
import * as spaceRequests from './2026-12-06T0900-space-requests.js';
import * as protocolAccess from './2026-12-06T1000-protocol-access.js';
import * as lastLogins from './2026-12-06T1100-last-logins.js';
import * as appPasswords from './2026-12-06T1200-app-passwords.js';
import * as sendLimits from './2026-12-07T0900-send-limits.js';
import * as deletedAccess from './2026-12-07T1000-deleted-access.js';

// Listed statically (not read from the folder) so migrations run the same under tsx, vitest and a bundle.
export const migrations: Record<string, Migration> = {
  '2026-11-26T1200-initial': initial,
  '2026-11-26T1400-usage-scans': usageScans,
  '2026-11-26T1500-alerts': alerts,
  '2026-11-26T1600-security': security,
  '2026-11-26T1700-imports': imports,
  '2026-11-26T1800-list-indexes': listIndexes,
  '2026-11-26T1900-totp-steps': totpSteps,
  '2026-11-26T2000-domain-node': domainNode,
  '2026-11-26T2100-usage-on-mailboxes': usageOnMailboxes,
  '2026-12-03T1000-usage-feed': usageFeed,
  '2026-12-03T1100-deleted-mailboxes': deletedMailboxes,
  '2026-12-03T1200-password-resets': passwordResets,
  '2026-12-03T1900-usage-fillfactor': usageFillfactor,
  '2026-12-03T1910-scan-state-text': scanStateText,
  '2026-12-04T1000-trash-room': trashRoom,
  '2026-12-04T1100-cleanups': cleanups,
  '2026-12-04T1200-auto-purge': autoPurge,
  '2026-12-04T1300-mailbox-sessions': mailboxSessions,
  '2026-12-05T0900-webhooks': webhooks,
  '2026-12-06T0900-space-requests': spaceRequests,
  '2026-12-06T1000-protocol-access': protocolAccess,
  '2026-12-06T1100-last-logins': lastLogins,
  '2026-12-06T1200-app-passwords': appPasswords,
  '2026-12-07T0900-send-limits': sendLimits,
  '2026-12-07T1000-deleted-access': deletedAccess,
};
