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

// The stream is read as latin1, one char per byte, so lengths are byte counts and a UTF-8 character split
// between packets is never decoded in halves; only text that holds non-ASCII bytes is decoded again as UTF-8.
const NON_ASCII = /[\x80-\xff]/;
const CR = 13;

export class PolicyParser {
  private readonly limits: ParserLimits;
  private partial = '';
  private current: Record<string, string> = Object.create(null);
  private count = 0;
  private failed: ProtocolError | undefined;

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  push(chunk: Buffer): ParseResult {
    const requests: PolicyAttributes[] = [];
    if (this.failed) return { requests, error: this.failed };
    let text = chunk.toString('latin1');
    if (this.partial !== '') {
      // A line trickling in is only appended to, not searched again from its start.
      if (text.indexOf('\n') < 0) return this.keepPartial(this.partial + text, requests);
      text = this.partial + text;
      this.partial = '';
    }
    const utf8 = NON_ASCII.test(text);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const error = this.line(text, start, nl, utf8, requests);
      if (error) return this.fail(error, requests);
      start = nl + 1;
    }
    if (start < text.length) return this.keepPartial(start === 0 ? text : text.slice(start), requests);
    return { requests };
  }

  private keepPartial(partial: string, requests: PolicyAttributes[]): ParseResult {
    // One extra byte allowed: the CR of a CRLF ending may be the last byte seen so far.
    if (partial.length > this.limits.maxLineBytes + 1) return this.fail('line-too-long', requests);
    this.partial = partial;
    return { requests };
  }

  private fail(error: ProtocolError, requests: PolicyAttributes[]): ParseResult {
    this.failed = error;
    this.partial = '';
    this.current = Object.create(null);
    return { requests, error };
  }

  /** Handles text[start, end) without its LF; returns an error or pushes a finished request. */
  private line(text: string, start: number, end: number, utf8: boolean, requests: PolicyAttributes[]): ProtocolError | undefined {
    if (end > start && text.charCodeAt(end - 1) === CR) end--;
    if (end - start > this.limits.maxLineBytes) return 'line-too-long';
    if (end === start) {
      requests.push(this.current);
      this.current = Object.create(null);
      this.count = 0;
      return undefined;
    }
    const eq = text.indexOf('=', start);
    if (eq < 0 || eq >= end) return 'missing-equals';
    if (eq === start) return 'empty-name';
    if (++this.count > this.limits.maxAttributes) return 'too-many-attributes';
    let name = text.slice(start, eq);
    let value = text.slice(eq + 1, end);
    // Postfix may send UTF-8 (SMTPUTF8); invalid bytes become U+FFFD rather than failing the request.
    if (utf8) {
      if (NON_ASCII.test(name)) name = Buffer.from(name, 'latin1').toString('utf8');
      if (NON_ASCII.test(value)) value = Buffer.from(value, 'latin1').toString('utf8');
    }
    this.current[name] = value;
    return undefined;
  }
}

/** The reply frame; the action must already be free of line breaks (decide() guarantees that). */
export function formatReply(action: string): string {
  return `action=${action}\n\n`;
}
