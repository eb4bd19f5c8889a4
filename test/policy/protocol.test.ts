import { describe, expect, it } from 'vitest';
import { formatReply, PolicyParser, type ParseResult } from '../../server/policy/protocol.js';

const REQUEST = 'request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=user@example.com\nsize=1024\n\n';
const ATTRS = { request: 'smtpd_access_policy', protocol_state: 'RCPT', recipient: 'user@example.com', size: '1024' };

function feed(parser: PolicyParser, ...chunks: (string | Buffer)[]): ParseResult {
  const all: ParseResult = { requests: [] };
  for (const c of chunks) {
    const r = parser.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
    all.requests.push(...r.requests);
    if (r.error) all.error = r.error;
  }
  return all;
}

describe('PolicyParser', () => {
  it('reads one request terminated by an empty line', () => {
    expect(feed(new PolicyParser(), REQUEST)).toEqual({ requests: [ATTRS] });
  });

  it('accepts CRLF line endings', () => {
    expect(feed(new PolicyParser(), REQUEST.replaceAll('\n', '\r\n'))).toEqual({ requests: [ATTRS] });
  });

  it('gives the same request whatever the packet boundaries, down to one byte per packet', () => {
    const bytes = Buffer.from(REQUEST);
    for (const size of [1, 2, 3, 7, 16, 50]) {
      const parser = new PolicyParser();
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(feed(parser, ...chunks), `packets of ${size}`).toEqual({ requests: [ATTRS] });
    }
  });

  it('yields nothing until the empty line arrives', () => {
    const parser = new PolicyParser();
    expect(parser.push(Buffer.from(REQUEST.slice(0, -1)))).toEqual({ requests: [] });
    expect(parser.push(Buffer.from('\n'))).toEqual({ requests: [ATTRS] });
  });

  it('splits many pipelined requests in one packet, in order', () => {
    const many = Array.from({ length: 100 }, (_, i) => `request=smtpd_access_policy\nrecipient=u${i}@example.com\n\n`).join('');
    const { requests, error } = feed(new PolicyParser(), many);
    expect(error).toBeUndefined();
    expect(requests.map((r) => r.recipient)).toEqual(Array.from({ length: 100 }, (_, i) => `u${i}@example.com`));
  });

  it('keeps everything after the first "=" as the value, and allows empty values', () => {
    const { requests } = feed(new PolicyParser(), 'sasl_username=\nccert_subject=CN=a=b\n\n');
    expect(requests).toEqual([{ sasl_username: '', ccert_subject: 'CN=a=b' }]);
  });

  it('decodes UTF-8 even when a character is split between packets', () => {
    const bytes = Buffer.from('recipient=jörg@bücher.example\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two-byte "ö"
    expect(feed(new PolicyParser(), bytes.subarray(0, cut), bytes.subarray(cut)).requests).toEqual([{ recipient: 'jörg@bücher.example' }]);
  });

  it('turns invalid UTF-8 into U+FFFD instead of failing the request', () => {
    const bytes = Buffer.concat([Buffer.from('recipient=a'), Buffer.from([0xff, 0xfe]), Buffer.from('@x.test\nsize=5\n\n')]);
    expect(feed(new PolicyParser(), bytes).requests).toEqual([{ recipient: 'a\ufffd\ufffd@x.test', size: '5' }]);
  });

  it('treats attribute names as data, not as object keys with meaning', () => {
    const { requests } = feed(new PolicyParser(), '__proto__=x\nconstructor=y\n\n');
    expect(Object.getOwnPropertyDescriptor(requests[0], '__proto__')?.value).toBe('x');
    expect(requests[0].constructor).toBe('y');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('keeps the last value of a repeated attribute', () => {
    expect(feed(new PolicyParser(), 'size=1\nsize=2\n\n').requests).toEqual([{ size: '2' }]);
  });

  it('answers an empty request (a lone empty line) as a request without attributes', () => {
    expect(feed(new PolicyParser(), '\n').requests).toEqual([{}]);
  });

  describe('limits', () => {
    const limit = 8192;
    const lineOf = (bytes: number) => `x=${'a'.repeat(bytes - 2)}`;

    it('accepts a line of exactly the limit, with LF or CRLF', () => {
      expect(feed(new PolicyParser(), `${lineOf(limit)}\n\n`).error).toBeUndefined();
      expect(feed(new PolicyParser(), `${lineOf(limit)}\r\n\r\n`).error).toBeUndefined();
    });

    it('rejects a complete line over the limit', () => {
      expect(feed(new PolicyParser(), `${lineOf(limit + 1)}\n\n`)).toEqual({ requests: [], error: 'line-too-long' });
    });

    it('rejects an overlong line before its end arrives, so it is never buffered whole', () => {
      const parser = new PolicyParser();
      expect(parser.push(Buffer.from(lineOf(4000))).error).toBeUndefined();
      expect(parser.push(Buffer.from('a'.repeat(4000))).error).toBeUndefined();
      expect(parser.push(Buffer.from('a'.repeat(4000))).error).toBe('line-too-long');
    });

    it('honours a configured line limit', () => {
      expect(feed(new PolicyParser({ maxLineBytes: 10 }), 'name=12345\n\n').error).toBeUndefined();
      expect(feed(new PolicyParser({ maxLineBytes: 10 }), 'name=123456\n\n').error).toBe('line-too-long');
    });

    it('rejects a line without "=" but returns the requests completed before it', () => {
      const result = feed(new PolicyParser(), `${REQUEST}recipient=a@b.c\nbroken line\n\n`);
      expect(result).toEqual({ requests: [ATTRS], error: 'missing-equals' });
    });

    it('rejects an empty attribute name', () => {
      expect(feed(new PolicyParser(), '=value\n\n').error).toBe('empty-name');
    });

    it('rejects a request with runaway attributes', () => {
      const lines = Array.from({ length: 300 }, (_, i) => `a${i}=1\n`).join('');
      expect(feed(new PolicyParser(), lines).error).toBe('too-many-attributes');
      expect(feed(new PolicyParser({ maxAttributes: 300 }), `${lines}\n`).error).toBeUndefined();
    });

    it('stays failed: nothing after a protocol error is parsed', () => {
      const parser = new PolicyParser();
      expect(parser.push(Buffer.from('no equals sign\n')).error).toBe('missing-equals');
      expect(parser.push(Buffer.from(REQUEST))).toEqual({ requests: [], error: 'missing-equals' });
    });
  });
});

describe('PolicyParser with keep', () => {
  const keep = ['size', 'recipient'];

  it('keeps only the named attributes, whatever their neighbours are called', () => {
    const text = 'sizes=9\nsize=1024\nsizx=7\nrecipientx=a@b.c\nrecipient=user@example.com\nrequest=smtpd_access_policy\n\n';
    expect(feed(new PolicyParser({ keep }), text)).toEqual({ requests: [{ size: '1024', recipient: 'user@example.com' }] });
  });

  it('keeps the same attributes whatever the packet boundaries and line endings', () => {
    const bytes = Buffer.from('sizes=9\r\nsize=1024\r\nrecipient=jörg@bücher.example\r\nrequest=x\r\n\r\n');
    for (const size of [1, 2, 3, 7, 16]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(feed(new PolicyParser({ keep }), ...chunks), `packets of ${size}`).toEqual({ requests: [{ size: '1024', recipient: 'jörg@bücher.example' }] });
    }
  });

  it('refuses to keep a name Postfix could not send as it is written', () => {
    expect(() => new PolicyParser({ keep: ['größe'] })).toThrow(/not printable ASCII/);
  });

  it('checks the lines it does not keep as strictly as the others', () => {
    expect(feed(new PolicyParser({ keep }), 'size=1\nno equals sign\n\n').error).toBe('missing-equals');
    expect(feed(new PolicyParser({ keep }), '=x\n\n').error).toBe('empty-name');
    expect(feed(new PolicyParser({ keep, maxLineBytes: 10 }), 'other=123456\n\n').error).toBe('line-too-long');
    expect(feed(new PolicyParser({ keep, maxAttributes: 2 }), 'a=1\nb=2\nc=3\n\n').error).toBe('too-many-attributes');
  });
});

describe('formatReply', () => {
  it('is one action line and an empty line', () => {
    expect(formatReply('DUNNO')).toBe('action=DUNNO\n\n');
  });
});
