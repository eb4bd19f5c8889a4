// What changed on the disk since a Maildir was last measured, from the kernel (inotify) rather than
// from an lstat of every cur/ and new/ each round. A verification round then looks inside only the
// Maildirs where something happened, and takes the quiet ones as they were without a system call.
// Watched: each Maildir's root and its folders' cur/ and new/ (every message saved, flagged or
// removed), and the directories above it up to MAIL_ROOT (the domain and the mailbox's own), so that
// a Maildir moved away or put in place of another is an event too. Whatever the watch cannot vouch
// for is measured as before: a Maildir not (fully) watched, a watch added after its last measurement
// began, events lost to a full kernel queue, and file systems where inotify does not see every writer
// (NFS: set SCAN_WATCH=false there).
import os from 'node:os';
import type { Logger } from 'pino';
import { errnoError, native } from './native.js';
import type { MaildirState } from '../../server/core/maildir/scan-state.js';

/** How often queued events are read, so that the kernel's queue (16,384 by default) does not overflow. */
const DRAIN_EVERY_MS = 200;
/** Room for event wds per read (the addon wants at least 256 free). */
const EVENTS_PER_READ = 4096;

export class DiskWatch {
  readonly #fd: number;
  readonly #logger: Pick<Logger, 'warn'>;
  /** wd → the mailbox id whose directory it is (wds are small, increasing numbers). */
  #owner = new Float64Array(1024);
  /** wd → the mailboxes below a directory several share (a domain's). */
  #sharedBy = new Map<number, Set<number>>();
  /** Mailbox id → when all its directories were last (re)watched, ms. */
  #watchedAt = new Map<number, number>();
  /** Mailbox id → when an event in one of its directories was last read, ms. */
  #changedAt = new Map<number, number>();
  /** When events were last lost (queue overflow): nothing measured before then is quiet. */
  #lostAt = 0;
  #events = new Int32Array(EVENTS_PER_READ);
  #timer: NodeJS.Timeout;
  #warnedFull = false;

  private constructor(fd: number, logger: Pick<Logger, 'warn'>) {
    this.#fd = fd;
    this.#logger = logger;
    this.#timer = setInterval(() => this.drain(), DRAIN_EVERY_MS);
    this.#timer.unref();
  }

  /** A watch, or null where the kernel offers none (not Linux) or refuses one (instances used up). */
  static open(logger: Pick<Logger, 'warn'>): DiskWatch | null {
    if (!native.watchInit) return null;
    const fd = native.watchInit();
    if (fd < 0) {
      logger.warn({ err: errnoError(fd, 'inotify_init1', '') }, 'no inotify: every verification round looks at every Maildir');
      return null;
    }
    return new DiskWatch(fd, logger);
  }

  /** Reads the queued events: each marks its mailbox changed now. */
  drain(): void {
    const read = native.watchRead!;
    for (;;) {
      const n = read(this.#fd, this.#events);
      if (n < 0) throw errnoError(n, 'read', 'inotify');
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const wd = this.#events[i];
        if (wd === -1) this.#lostAt = now;
        else if (wd < this.#owner.length && this.#owner[wd] > 0) this.#changedAt.set(this.#owner[wd], now);
        else for (const id of this.#sharedBy.get(wd) ?? []) this.#changedAt.set(id, now);
      }
      if (n < EVENTS_PER_READ - 256) return;
    }
  }

  /**
   * Whether mailbox `id` has been watched, with no event and no loss, since before `since` (ms on this
   * process's clock): then its Maildir is as a measurement that began at `since` found it.
   */
  quiet(id: number, since: number): boolean {
    const watched = this.#watchedAt.get(id);
    return watched !== undefined && watched < since && (this.#changedAt.get(id) ?? 0) < since && this.#lostAt < since;
  }

  watching(id: number): boolean {
    return this.#watchedAt.has(id);
  }

  /**
   * Watches a measured Maildir: `components` are the paths from the first directory below MAIL_ROOT
   * down to the Maildir (see maildirComponents), all but the last two shared with other mailboxes; then
   * the cur/ and new/ of the folders its state lists. A directory watched for the first time restarts
   * the clock: events before it were not seen. A Maildir with a directory that cannot be watched
   * (missing, a symlink, the watch limit) is not watched at all, so it is never quiet.
   */
  watch(id: number, components: string[], state: MaildirState): void {
    const maildir = components[components.length - 1];
    const shared = components.length - 2;
    const dirs = [...components];
    for (const [name] of state.folders) {
      const base = name === '' ? maildir : `${maildir}/${name}`;
      dirs.push(`${base}/cur`, `${base}/new`);
    }
    let fresh = !this.#watchedAt.has(id);
    for (const [i, dir] of dirs.entries()) {
      const wd = native.watchAdd!(this.#fd, dir);
      if (wd < 0) {
        this.#watchedAt.delete(id);
        if (wd === -os.constants.errno.ENOSPC && !this.#warnedFull) {
          this.#warnedFull = true;
          this.#logger.warn('inotify watch limit reached (fs.inotify.max_user_watches): further Maildirs are looked at every round');
        }
        return;
      }
      if (i < shared) {
        const ids = this.#sharedBy.get(wd) ?? new Set();
        this.#sharedBy.set(wd, ids);
        fresh ||= !ids.has(id);
        ids.add(id);
        continue;
      }
      if (wd >= this.#owner.length) {
        const grown = new Float64Array(Math.max(wd + 1, this.#owner.length * 2));
        grown.set(this.#owner);
        this.#owner = grown;
      }
      if (this.#owner[wd] !== id) {
        this.#owner[wd] = id;
        fresh = true;
      }
    }
    if (fresh) this.#watchedAt.set(id, Date.now());
  }

  close(): void {
    clearInterval(this.#timer);
    native.close(this.#fd);
  }
}
