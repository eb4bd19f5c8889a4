// V8's defaults size a heap for a busy server: it grows the heap early and optimises code eagerly.
// A worker mostly waits on PostgreSQL, Redis and the disk (its walks run in threads), so trading a
// little CPU for memory is right there: measured on the 10k-mailbox verification bench, the worker's
// peak RSS went from ~165-200 MB to ~130 MB with no round slower beyond the noise (bench/README.md).
import v8 from 'node:v8';

/** Call first thing, before the heavy modules load: the flag applies to what is allocated after it. */
export function preferSmallHeap(): void {
  v8.setFlagsFromString('--optimize-for-size');
}
