// The usage scanner's public API; everything else in jobs/scan is internal.
export { ScanPool, scanMailboxes, type ScanOptions, type ScanPoolOptions } from './scan-pool.js';
export { scanMailbox, type ScanMailboxOptions } from './scan-mailbox.js';
export { scanMaildirSync } from './scan-sync.js';
export { ScanError, type ScanErrorCode } from '../../server/core/maildir/scan-error.js';
export { parseState, totals, DEFAULT_SETTLE_MS, type MaildirState } from '../../server/core/maildir/scan-state.js';
export type { MailboxId, MailboxUsage, ScanItem, ScanResult } from '../../server/core/maildir/scan-result.js';
