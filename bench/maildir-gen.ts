// Generates Maildir++ trees laid out like MAIL_ROOT/<domain>/<localpart>/Maildir, with Dovecot-style
// file names, for the scan benchmark and the scanner tests. Files are sparse (ftruncate), so a tree of
// a million messages costs inodes but almost no disk.
//
//   npx tsx bench/maildir-gen.ts --size small|large --out DIR [--seed N]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const SIZES = {
  small: { mailboxes: 1_000, messages: 200_000 },
  large: { mailboxes: 10_000, messages: 1_000_000 },
} as const;
export type SizeName = keyof typeof SIZES;

export interface GenParams {
  mailboxes: number;
  messages: number;
  seed: number;
}

/** What a correct scanner must report for the generated tree. */
export interface GenManifest {
  generator: number;
  params: GenParams;
  complete: boolean;
  bytes: number;
  messages: number;
  files: number;
  dirs: number;
}

// Bump when the layout changes, so old trees are regenerated rather than silently reused.
const GENERATOR_VERSION = 1;
const MARKER = '.maildir-gen.json';
const MAILBOXES_PER_DOMAIN = 20;
// Share of a mailbox's messages per folder; '' is INBOX. Dovecot auto-creates the first four.
const FOLDERS: [name: string, share: number][] = [
  ['', 0.6],
  ['.Sent', 0.15],
  ['.Trash', 0.05],
  ['.Junk', 0.03],
  ['.Drafts', 0.02],
];
const ARCHIVES: [name: string, share: number][] = [
  ['.Archive.2023', 0.07],
  ['.Archive.2024', 0.08],
];

/** mulberry32: tiny, fast and good enough to make trees reproducible from a seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = rand() || 1e-12;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** The maildir paths relative to MAIL_ROOT, as the database stores them, in generation order. */
export function mailboxPaths(params: Pick<GenParams, 'mailboxes'>): string[] {
  const out: string[] = [];
  for (let i = 0; i < params.mailboxes; i++) {
    const domain = `d${String(Math.floor(i / MAILBOXES_PER_DOMAIN)).padStart(4, '0')}.example`;
    out.push(`${domain}/user${String(i).padStart(5, '0')}`);
  }
  return out;
}

/** Splits `total` over `weights` exactly (largest remainders), so the tree holds precisely the asked count. */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const raw = weights.map((w) => (sum > 0 ? (w / sum) * total : 0));
  const out = raw.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0 && order.length > 0; k = (k + 1) % order.length, left--) out[order[k][1]]++;
  return out;
}

export function readManifest(out: string): GenManifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(out, MARKER), 'utf8')) as GenManifest;
  } catch {
    return null;
  }
}

function sameParams(a: GenParams, b: GenParams) {
  return a.mailboxes === b.mailboxes && a.messages === b.messages && a.seed === b.seed;
}

/**
 * Builds the tree under `out` unless a complete tree with the same parameters is already there.
 * Returns the manifest (expected totals) and whether anything was written.
 */
export function generate(out: string, params: GenParams): { manifest: GenManifest; generated: boolean } {
  const existing = readManifest(out);
  if (existing?.complete && existing.generator === GENERATOR_VERSION && sameParams(existing.params, params)) {
    return { manifest: existing, generated: false };
  }
  if (existing) {
    fs.rmSync(out, { recursive: true, force: true });
  } else if (fs.existsSync(out) && fs.readdirSync(out).length > 0) {
    // Without our marker the directory is someone else's; never delete it.
    throw new Error(`${out} exists, is not empty and was not made by maildir-gen`);
  }
  fs.mkdirSync(out, { recursive: true });
  const manifest: GenManifest = { generator: GENERATOR_VERSION, params, complete: false, bytes: 0, messages: 0, files: 0, dirs: 0 };
  fs.writeFileSync(path.join(out, MARKER), JSON.stringify(manifest));

  const rand = rng(params.seed);
  const paths = mailboxPaths(params);
  // Heavy-tailed mailbox sizes: most hold a few hundred messages, a few hold tens of thousands.
  const weights = paths.map(() => {
    const r = rand();
    if (r < 0.01) return -1; // never received mail: no Maildir at all
    if (r < 0.04) return 0; // Maildir exists but is empty
    return Math.exp(1.1 * gaussian(rand));
  });
  const perMailbox = apportion(
    params.messages,
    weights.map((w) => Math.max(w, 0)),
  );

  let seq = 0;
  const sparse = (file: string, size: number) => {
    const fd = fs.openSync(file, 'w');
    if (size > 0) fs.ftruncateSync(fd, size);
    fs.closeSync(fd);
    manifest.files++;
  };
  const mkdir = (dir: string) => {
    fs.mkdirSync(dir);
    manifest.dirs++;
  };
  // Lognormal around 10 KB reaches a few MB at the tail, like real mail with attachments.
  const messageSize = () => Math.min(40_000_000, Math.max(400, Math.round(10_000 * Math.exp(1.3 * gaussian(rand)))));

  const domainsMade = new Set<string>();
  paths.forEach((rel, i) => {
    const domain = rel.slice(0, rel.indexOf('/'));
    if (!domainsMade.has(domain)) {
      mkdir(path.join(out, domain));
      domainsMade.add(domain);
    }
    mkdir(path.join(out, rel));
    if (weights[i] < 0) return;
    const maildir = path.join(out, rel, 'Maildir');
    mkdir(maildir);
    const count = perMailbox[i];
    const folders = count === 0 ? [['', 1] as [string, number]] : [...FOLDERS];
    if (count > 0 && rand() < 0.25) folders.push(...ARCHIVES);
    if (count > 0 && rand() < 0.1) folders.push([`.Projects.p${Math.floor(rand() * 100)}`, 0.05]);
    const counts = apportion(
      count,
      folders.map((f) => f[1]),
    );

    for (const file of ['dovecot-uidlist', 'dovecot.index', 'dovecot.index.log', 'dovecot.index.cache', 'maildirsize', 'subscriptions']) {
      sparse(path.join(maildir, file), 1_000 + Math.floor(rand() * 50_000));
    }
    folders.forEach(([folder], f) => {
      const base = folder ? path.join(maildir, folder) : maildir;
      if (folder) {
        mkdir(base);
        sparse(path.join(base, 'dovecot-uidlist'), 200 + Math.floor(rand() * 5_000));
        sparse(path.join(base, 'maildirfolder'), 0);
      }
      for (const sub of ['cur', 'new', 'tmp']) mkdir(path.join(base, sub));
      // A handful of undelivered messages in new/, the rest already seen by an IMAP client.
      const inNew = Math.min(counts[f], f === 0 ? Math.floor(rand() * 4) : 0);
      for (let m = 0; m < counts[f]; m++) {
        const size = messageSize();
        const ts = 1_700_000_000 + Math.floor(rand() * 40_000_000);
        // Q<n> (Dovecot's per-process delivery counter) keeps names unique within the tree.
        const uniq = `${ts}.M${Math.floor(rand() * 1e6)}P${1000 + (seq % 60000)}Q${seq++}.mx${seq % 3}.example`;
        const isNew = m < inNew;
        // Messages delivered by other MDAs (or restored from backups) carry no S=; the scanner must stat them.
        const name =
          rand() < 0.02
            ? `${uniq}${isNew ? '' : ':2,S'}`
            : `${uniq},S=${size},W=${size + Math.floor(size / 40)}${isNew ? '' : `:2,${rand() < 0.8 ? 'S' : 'RS'}`}`;
        sparse(path.join(base, isNew ? 'new' : 'cur', name), size);
        manifest.bytes += size;
        manifest.messages++;
      }
      // A delivery in progress: tmp/ must not be counted.
      if (rand() < 0.05) sparse(path.join(base, 'tmp', `${1_740_000_000}.M1P1.mx0.example,S=5000`), 5_000);
    });
  });

  manifest.complete = true;
  fs.writeFileSync(path.join(out, MARKER), JSON.stringify(manifest));
  return { manifest, generated: true };
}

export function parseArgs(argv: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) args[a.slice(2, eq)] = a.slice(eq + 1);
    else args[a.slice(2)] = argv[++i] ?? '';
  }
  return args;
}

export function sizeParams(size: string, seed = 1): GenParams {
  if (!(size in SIZES)) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
  return { ...SIZES[size as SizeName], seed };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = parseArgs(process.argv.slice(2));
  if (!args.out) throw new Error('--out DIR is required');
  const params = sizeParams(args.size ?? 'small', args.seed ? Number(args.seed) : 1);
  const t0 = performance.now();
  const { manifest, generated } = generate(path.resolve(args.out), params);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${generated ? `generated in ${secs}s` : 'already present'}: ${manifest.params.mailboxes} mailboxes, ${manifest.messages} messages, ${manifest.bytes} bytes, ${manifest.files} files, ${manifest.dirs} dirs`,
  );
}
