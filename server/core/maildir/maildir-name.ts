// Rules for the names found in a Maildir++ tree. Pure: no I/O, so the hot loop and the tests share them.

const COMMA = 44;
const COLON = 58;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
// 15 digits stay exact in a double; anything longer is garbage, and the caller falls back to lstat.
const MAX_DIGITS = 15;

/**
 * The message size Dovecot put in the file name (`1732610000.M12P345.host,S=10450,W=10600:2,S` → 10450),
 * or -1 when the name has no usable S= field. Only the part before the `:2,` info is searched: flags
 * are letters, but a broken name must not be read as a size.
 */
export function sizeFromName(name: string): number {
  let at = name.indexOf(',S=');
  if (at < 0) return -1;
  const info = name.indexOf(':');
  if (info >= 0 && info < at) return -1;
  at += 3;
  let size = 0;
  let i = at;
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < ZERO || c > NINE) break;
    size = size * 10 + (c - ZERO);
  }
  const digits = i - at;
  if (digits === 0 || digits > MAX_DIGITS) return -1;
  // Like Dovecot, the number must end where the field ends; ",S=12k" is not a size.
  if (i < name.length) {
    const c = name.charCodeAt(i);
    if (c !== COMMA && c !== COLON) return -1;
  }
  return size;
}

/** Dovecot skips dot files in cur/ and new/ (editor leftovers, .nfs files), so they are not messages. */
export function isMessageName(name: string): boolean {
  return name.length > 0 && name.charCodeAt(0) !== DOT;
}

/**
 * A Maildir++ subfolder is a top-level directory named `.<name>` (`.Sent`, `.Archive.2024`);
 * `.` and `..` never are. Whether it is a real directory (not a symlink) is the caller's check.
 * Names from readdir cannot hold '/' or NUL, but names from a stored state can, and they are joined
 * into paths.
 */
export function isFolderName(name: string): boolean {
  return name.length > 1 && name.charCodeAt(0) === DOT && name !== '..' && !name.includes('/') && !name.includes('\0');
}
