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

export type ProtocolError = 'line-too-long' | 'missing-equals' | 'empty-name' | 'too-many-attributes';

export interface ParseResult {
  requests: PolicyAttributes[];
  /** Set once the stream is unusable; requests completed before the bad line are still returned. */
  error?: ProtocolError;
}

const LF = 0x0a;
const CR = 0x0d;

export class PolicyParser {
  private readonly limits: ParserLimits;
  // The unfinished line from earlier chunks; kept as pieces so a slow trickle is not copied again on every chunk.
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private current: Record<string, string> = Object.create(null);
  private count = 0;
  private failed: ProtocolError | undefined;

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  push(chunk: Buffer): ParseResult {
    const requests: PolicyAttributes[] = [];
    if (this.failed) return { requests, error: this.failed };
    let start = 0;
    if (this.partialBytes > 0) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) return this.keepPartial(chunk, requests);
      this.partial.push(chunk.subarray(0, nl));
      const line = Buffer.concat(this.partial, this.partialBytes + nl);
      this.partial = [];
      this.partialBytes = 0;
      const error = this.line(line, 0, line.length, requests);
      if (error) return this.fail(error, requests);
      start = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) break;
      const error = this.line(chunk, start, nl, requests);
      if (error) return this.fail(error, requests);
      start = nl + 1;
    }
    if (start < chunk.length) return this.keepPartial(chunk.subarray(start), requests);
    return { requests };
  }

  private keepPartial(piece: Buffer, requests: PolicyAttributes[]): ParseResult {
    this.partialBytes += piece.length;
    // One extra byte allowed: the CR of a CRLF ending may be the last byte seen so far.
    if (this.partialBytes > this.limits.maxLineBytes + 1) return this.fail('line-too-long', requests);
    this.partial.push(piece);
    return { requests };
  }

  private fail(error: ProtocolError, requests: PolicyAttributes[]): ParseResult {
    this.failed = error;
    this.partial = [];
    this.partialBytes = 0;
    this.current = Object.create(null);
    return { requests, error };
  }

  /** Handles buf[start, end) without its LF; returns an error or pushes a finished request. */
  private line(buf: Buffer, start: number, end: number, requests: PolicyAttributes[]): ProtocolError | undefined {
    if (end > start && buf[end - 1] === CR) end--;
    if (end - start > this.limits.maxLineBytes) return 'line-too-long';
    if (end === start) {
      requests.push(this.current);
      this.current = Object.create(null);
      this.count = 0;
      return undefined;
    }
    const eq = buf.indexOf(0x3d, start);
    if (eq < 0 || eq >= end) return 'missing-equals';
    if (eq === start) return 'empty-name';
    if (++this.count > this.limits.maxAttributes) return 'too-many-attributes';
    // Postfix may send UTF-8 (SMTPUTF8); invalid bytes become U+FFFD rather than failing the request.
    this.current[buf.toString('utf8', start, eq)] = buf.toString('utf8', eq + 1, end);
    return undefined;
  }
}

/** The reply frame; the action must already be free of line breaks (decide() guarantees that). */
export function formatReply(action: string): string {
  return `action=${action}\n\n`;
}
