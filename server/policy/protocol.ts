// The Postfix policy delegation wire format (SMTPD_POLICY_README): "name=value" lines,
// a request ends at an empty line, the reply is one "action=..." line plus an empty line.
// Bytes in, requests out; no sockets here so every edge case is testable on its own.

export type PolicyAttributes = Readonly<Record<string, string>>;

export interface ParserLimits {
  /** Longest line accepted, in bytes, not counting the line ending. */
  maxLineBytes: number;
  /** Most attributes in one request; Postfix sends about 30, so a runaway client is cut off long before memory is. */
  maxAttributes: number;
}

export const DEFAULT_LIMITS: ParserLimits = { maxLineBytes: 8192, maxAttributes: 256 };

export interface ParserOptions extends Partial<ParserLimits> {
  /**
   * The attributes the reader uses; the others are checked (line length, "name=value", how many) but
   * not kept. Postfix sends about 30 a request and the service reads 7: not making strings of the rest
   * is most of what a request costs in garbage, and garbage collection is most of the service's tail
   * latency (bench/README.md). Absent: all are kept.
   */
  keep?: Iterable<string>;
}

export type ProtocolError = 'line-too-long' | 'missing-equals' | 'empty-name' | 'too-many-attributes';

export interface ParseResult {
  requests: PolicyAttributes[];
  /** Set once the stream is unusable; requests completed before the bad line are still returned. */
  error?: ProtocolError;
}

const LF = 10;
const CR = 13;
const EQUALS = 61;
/** Packets of an unfinished line kept apart before they are joined. */
const PARTS = 8;

// Lines are found in the bytes themselves: only the values kept become strings, each a copy of its own
// bytes (a string cut from a string would keep the whole packet alive as long as it lives). Values are
// decoded as UTF-8, since Postfix may send it (SMTPUTF8); invalid bytes become U+FFFD rather than failing
// the request. ASCII, nearly all of it, decodes the same either way.
export class PolicyParser {
  private readonly limits: ParserLimits;
  /** The bytes of a line not finished yet, packet by packet (joined once its end arrives). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private current: Record<string, string> = Object.create(null);
  private count = 0;
  private failed: ProtocolError | undefined;
  /** The kept names, as bytes, by length (a skipped line is told apart without making a string of it); null: keep all. */
  private readonly keep: Map<number, { name: string; bytes: Buffer }[]> | null = null;

  constructor({ keep, ...limits }: ParserOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    if (keep) {
      this.keep = new Map();
      for (const name of keep) {
        // Compared byte for byte with what Postfix sends: a name outside ASCII could never match.
        if (!/^[\x21-\x7e]+$/.test(name)) throw new Error(`cannot keep attribute ${JSON.stringify(name)}: not printable ASCII`);
        const same = this.keep.get(name.length) ?? [];
        same.push({ name, bytes: Buffer.from(name, 'latin1') });
        this.keep.set(name.length, same);
      }
    }
  }

  push(chunk: Buffer): ParseResult {
    const requests: PolicyAttributes[] = [];
    if (this.failed) return { requests, error: this.failed };
    let bytes = chunk;
    if (this.partialBytes > 0) {
      // A line trickling in is only added to, not searched again from its start.
      if (chunk.indexOf(LF) < 0) return this.keepPartial(chunk, requests);
      bytes = Buffer.concat([...this.partial, chunk]);
      this.partial = [];
      this.partialBytes = 0;
    }
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(LF, start);
      if (nl < 0) break;
      const error = this.line(bytes, start, nl, requests);
      if (error) return this.fail(error, requests);
      start = nl + 1;
    }
    // A copy when cut from a packet: the rest of the packet is not kept for the sake of a few bytes.
    if (start < bytes.length) return this.keepPartial(start === 0 ? bytes : Buffer.from(bytes.subarray(start)), requests);
    return { requests };
  }

  private keepPartial(part: Buffer, requests: PolicyAttributes[]): ParseResult {
    this.partialBytes += part.length;
    // One extra byte allowed: the CR of a CRLF ending may be the last byte seen so far.
    if (this.partialBytes > this.limits.maxLineBytes + 1) return this.fail('line-too-long', requests);
    this.partial.push(part);
    // A line sent a byte at a time must not cost a Buffer per byte (a few MB for one 8 KB line).
    if (this.partial.length > PARTS) this.partial = [Buffer.concat(this.partial)];
    return { requests };
  }

  private fail(error: ProtocolError, requests: PolicyAttributes[]): ParseResult {
    this.failed = error;
    this.partial = [];
    this.partialBytes = 0;
    this.current = Object.create(null);
    return { requests, error };
  }

  /** Handles bytes[start, end) without its LF; returns an error or pushes a finished request. */
  private line(bytes: Buffer, start: number, end: number, requests: PolicyAttributes[]): ProtocolError | undefined {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end - start > this.limits.maxLineBytes) return 'line-too-long';
    if (end === start) {
      requests.push(this.current);
      this.current = Object.create(null);
      this.count = 0;
      return undefined;
    }
    const eq = bytes.indexOf(EQUALS, start);
    if (eq < 0 || eq >= end) return 'missing-equals';
    if (eq === start) return 'empty-name';
    if (++this.count > this.limits.maxAttributes) return 'too-many-attributes';
    const name = this.keep ? this.kept(bytes, start, eq) : bytes.toString('utf8', start, eq);
    if (name !== null) this.current[name] = bytes.toString('utf8', eq + 1, end);
    return undefined;
  }

  /** The kept name bytes[start, eq) spells, or null (kept names are ASCII, so a non-ASCII name is never one). */
  private kept(bytes: Buffer, start: number, eq: number): string | null {
    const names = this.keep?.get(eq - start);
    if (!names) return null;
    for (const k of names) if (k.bytes[0] === bytes[start] && k.bytes.compare(bytes, start, eq) === 0) return k.name;
    return null;
  }
}

/** The reply frame; the action must already be free of line breaks (decide() guarantees that). */
export function formatReply(action: string): string {
  return `action=${action}\n\n`;
}
