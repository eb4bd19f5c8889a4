// Measures one Maildir++ tree without doing any I/O itself: it is a generator that yields the file
// system requests it needs (lstat, readdir, opendir/read) and is resumed with their results. A synchronous driver
// runs it in the worker threads (fast: readdirSync, no promise per call), an async driver runs it for
// a single mailbox on the main thread, and both share every rule below.
import { maildirComponents } from './maildir-path.js';
import { isFolderName, isMessageName, sizeFromName } from './maildir-name.js';
import { ScanError } from './scan-error.js';
import {
  STATE_VERSION,
  UNTRUSTED,
  folderState,
  mtimeToStore,
  sameState,
  unchanged,
  type DirCounts,
  type FolderState,
  type MaildirState,
} from './scan-state.js';

export type FsRequest =
  /**
   * An lstat by path, whose answer only decides whether stored counts still hold or whether a path may
   * be read: it is never counted, so a component swapped meanwhile costs a re-read, not a wrong figure.
   * `shared`: the path is above the mailbox (the domain dir), so a driver may answer it once per run.
   */
  | { op: 'probe'; path: string; shared: boolean }
  /** An lstat whose size is counted: answered through the directories already opened for reading. */
  | { op: 'lstat'; path: string }
  /** Answered with a Listing, or null when the directory has vanished meanwhile. */
  | { op: 'readdir'; path: string }
  /** For a big directory: answered with a handle number, or null when it has vanished. */
  | { op: 'opendir'; path: string }
  /** The next entries of an open directory; null at the end, when the driver also closes it. */
  | { op: 'read'; handle: number };

/** The kinds of node a driver reports, by number (a listing carries one per entry). */
export const KIND = { missing: 0, dir: 1, file: 2, symlink: 3, other: 4 } as const;
export type NodeKind = keyof typeof KIND;

/** The answer to an lstat; `missing` for ENOENT/ENOTDIR. */
export interface NodeInfo {
  kind: NodeKind;
  mtimeMs: number;
  size: number;
}

/**
 * A directory's entries, without `.` and `..`: kinds[i] is the KIND of names[i], the entry itself
 * (a symlink is a symlink, never what it points to). Two arrays rather than an object per entry:
 * a full scan lists a million names.
 */
export interface Listing {
  names: string[];
  kinds: ArrayLike<number>;
}

export interface WalkOptions {
  /** Ignore the previous state and read every directory. */
  full: boolean;
  /** Date.now() when the scan began; directories modified shortly before are not trusted next time. */
  startedAt: number;
  settleMs: number;
  /**
   * A cur/ or new/ whose lstat size is above this is read in slices rather than listed at once, so
   * that a mailbox with 500,000 messages in one folder does not need its whole listing in memory.
   */
  bigDirBytes?: number;
}

/** About 13,000 Dovecot names on ext4 (directories there never shrink, so this is a hint). */
export const BIG_DIR_BYTES = 1 << 20;

export interface WalkResult {
  bytes: number;
  messages: number;
  /** null when there is no Maildir yet. */
  state: MaildirState | null;
  /** Directories listed (readdir), the Maildir root included: 0 for an unchanged mailbox. */
  dirsRead: number;
  /** Messages whose name had no S=, so their size came from lstat. */
  statFallbacks: number;
  /** False only when a previous state was given and equals the new one (even after a full scan). */
  changed: boolean;
}

export type Walk<T> = Generator<FsRequest, T, unknown>;

function* probe(path: string, shared = false): Walk<NodeInfo> {
  return (yield { op: 'probe', path, shared }) as NodeInfo;
}

function* lstat(path: string): Walk<NodeInfo> {
  return (yield { op: 'lstat', path }) as NodeInfo;
}

function* readdir(path: string): Walk<Listing | null> {
  return (yield { op: 'readdir', path }) as Listing | null;
}

function* opendir(path: string): Walk<number | null> {
  return (yield { op: 'opendir', path }) as number | null;
}

function* read(handle: number): Walk<Listing | null> {
  return (yield { op: 'read', handle }) as Listing | null;
}

const empty = (): WalkResult => ({ bytes: 0, messages: 0, state: null, dirsRead: 0, statFallbacks: 0, changed: true });

/**
 * Walks `<mailRoot>/<rel>/Maildir`. Refuses (ScanError) a path that leaves MAIL_ROOT or passes through
 * a symlink; a Maildir that does not exist yet is simply empty. With `previous`, a cur/ or new/ whose
 * mtime is unchanged is not listed again, and while the root's mtime is unchanged the folder list is
 * taken from `previous` too.
 */
export function* walkMaildir(mailRoot: string, rel: string, previous: MaildirState | null, options: WalkOptions): Walk<WalkResult> {
  const result = yield* walk(mailRoot, rel, previous, options);
  // Without a usable previous state there is nothing to compare with: always worth writing.
  result.changed = previous === null || !sameState(previous, result.state);
  return result;
}

function* walk(mailRoot: string, rel: string, previous: MaildirState | null, options: WalkOptions): Walk<WalkResult> {
  const components = maildirComponents(mailRoot, rel);
  let root: NodeInfo | undefined;
  for (let i = 0; i < components.length; i++) {
    const path = components[i];
    root = yield* probe(path, i < components.length - 2);
    if (root.kind === 'missing') return empty();
    if (root.kind === 'symlink') throw new ScanError('symlink', `${path} is a symlink; maildirs are not followed through symlinks`, path);
    if (root.kind !== 'dir') throw new ScanError('not_directory', `${path} is not a directory`, path);
  }
  const maildir = components[components.length - 1];
  const prev = options.full ? null : previous;
  const usage = empty();

  let names: string[];
  if (prev && unchanged(prev.root, root!.mtimeMs)) {
    names = prev.folders.map((f) => f[0]);
  } else {
    const listing = yield* readdir(maildir);
    usage.dirsRead++;
    if (listing === null) return empty();
    names = [''];
    for (let i = 0; i < listing.names.length; i++) if (listing.kinds[i] === KIND.dir && isFolderName(listing.names[i])) names.push(listing.names[i]);
    names.sort();
  }

  const before = new Map<string, FolderState>();
  if (prev) for (const f of prev.folders) before.set(f[0], f);
  const folders: FolderState[] = [];
  for (const name of names) {
    const base = name === '' ? maildir : `${maildir}/${name}`;
    const old = before.get(name);
    // Only cur/ and new/ hold messages; tmp/ holds deliveries still being written.
    const cur = yield* countDir(`${base}/cur`, old && { mtime: old[1], bytes: old[2], messages: old[3] }, options, usage);
    const nu = yield* countDir(`${base}/new`, old && { mtime: old[4], bytes: old[5], messages: old[6] }, options, usage);
    usage.bytes += cur.bytes + nu.bytes;
    usage.messages += cur.messages + nu.messages;
    folders.push(folderState(name, cur, nu));
  }
  usage.state = { v: STATE_VERSION, root: mtimeToStore(root!.mtimeMs, options.startedAt, options.settleMs), folders };
  return usage;
}

const NOTHING: DirCounts = { mtime: UNTRUSTED, bytes: 0, messages: 0 };

/** Counts one cur/ or new/, or reuses `old` when the directory's mtime says nothing changed. */
function* countDir(path: string, old: DirCounts | undefined, options: WalkOptions, usage: WalkResult): Walk<DirCounts> {
  const dir = yield* probe(path);
  // A missing cur/ is normal (a folder made by hand); a symlinked or non-directory one is not counted.
  if (dir.kind !== 'dir') return NOTHING;
  if (old && unchanged(old.mtime, dir.mtimeMs)) return old;
  const mtime = mtimeToStore(dir.mtimeMs, options.startedAt, options.settleMs);
  usage.dirsRead++;
  const counts = { mtime, bytes: 0, messages: 0 };
  if (dir.size <= (options.bigDirBytes ?? BIG_DIR_BYTES)) {
    const entries = yield* readdir(path);
    if (entries === null) return NOTHING;
    yield* countEntries(path, entries, counts, usage);
    return counts;
  }
  const handle = yield* opendir(path);
  if (handle === null) return NOTHING;
  for (let slice = yield* read(handle); slice !== null; slice = yield* read(handle)) yield* countEntries(path, slice, counts, usage);
  return counts;
}

function* countEntries(path: string, listing: Listing, counts: DirCounts, usage: WalkResult): Walk<void> {
  let bytes = 0;
  let messages = 0;
  const { names, kinds } = listing;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    // Only regular files: a symlink's kind is the link's own, so it is never counted.
    if (kinds[i] !== KIND.file || !isMessageName(name)) continue;
    let size = sizeFromName(name);
    if (size < 0) {
      const file = yield* lstat(`${path}/${name}`);
      usage.statFallbacks++;
      if (file.kind !== 'file') continue;
      size = file.size;
    }
    bytes += size;
    messages++;
  }
  counts.bytes += bytes;
  counts.messages += messages;
}
