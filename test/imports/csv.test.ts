import { english, type Text } from '../../server/core/message.js';
import { describe, expect, it } from 'vitest';
import { csvCell, decodeCsv, detectDelimiter, parseCsv, toCsv } from '../../server/core/imports/csv.js';

/** A result with its message in English, as the API gives it. */
const plain = <T>(r: T) => (r && typeof r === 'object' && 'message' in r ? { ...r, message: english(r.message as Text) } : r);

const cells = (text: string) => {
  const r = parseCsv(text);
  if (!r.ok) throw new Error(english(r.message));
  return r.records.map((x) => x.cells);
};

describe('parseCsv', () => {
  it('reads plain rows with CRLF, LF and CR line ends', () => {
    expect(cells('a,b\r\nc,d\ne,f\rg,h')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
      ['g', 'h'],
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks inside', () => {
    expect(cells('"x, y","say ""hi""","two\r\nlines"\r\nnext,"",end\r\n')).toEqual([
      ['x, y', 'say "hi"', 'two\r\nlines'],
      ['next', '', 'end'],
    ]);
  });

  it('counts lines as an editor does, across quoted line breaks and skipped blank lines', () => {
    const r = parseCsv('h1,h2\n"a\nb",c\n\n,,\nd,e\n');
    expect(r.ok && r.records.map((x) => [x.line, x.cells[0]])).toEqual([
      [1, 'h1'],
      [2, 'a\nb'],
      [6, 'd'],
    ]);
  });

  it('drops a byte order mark and keeps empty trailing cells', () => {
    expect(cells('\uFEFFaddress,password,\r\n')).toEqual([['address', 'password', '']]);
  });

  it('keeps a quote inside an unquoted field, refuses text after a closing quote and unclosed quotes', () => {
    expect(cells('ab"c,d')).toEqual([['ab"c', 'd']]);
    expect(plain(parseCsv('"ab"c,d'))).toMatchObject({ ok: false, message: expect.stringMatching(/^Line 1: unexpected text after a closing quote/) });
    expect(plain(parseCsv('a,b\n"open,x\ny,z'))).toMatchObject({ ok: false, message: 'Line 2: a quoted field is never closed.' });
  });

  it('detects semicolons and tabs as separators from the first line', () => {
    expect(detectDelimiter('address;password;"a,b"\nx;y;z')).toBe(';');
    expect(detectDelimiter('address\tquota')).toBe('\t');
    expect(detectDelimiter('address')).toBe(',');
    expect(cells('address;quota\r\ninfo;"500 MB"')).toEqual([
      ['address', 'quota'],
      ['info', '500 MB'],
    ]);
  });

  it('limits rows and size', () => {
    const rows = Array.from({ length: 12 }, (_, i) => `r${i}`).join('\n');
    expect(parseCsv(rows, { maxRows: 11 })).toMatchObject({ ok: true });
    expect(plain(parseCsv(rows, { maxRows: 10 }))).toMatchObject({ ok: false, message: expect.stringContaining('more than 10 rows') });
    expect(parseCsv('x'.repeat(101), { maxBytes: 100 })).toMatchObject({ ok: false });
  });
});

describe('decodeCsv', () => {
  it('accepts UTF-8 and refuses other encodings and binary files', () => {
    expect(decodeCsv(new TextEncoder().encode('\uFEFFgrüße'))).toEqual({ ok: true, text: 'grüße' });
    expect(plain(decodeCsv(Uint8Array.from([0x67, 0x72, 0xfc, 0xdf, 0x65])))).toMatchObject({ ok: false, message: expect.stringContaining('not UTF-8') });
    expect(plain(decodeCsv(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00])))).toMatchObject({
      ok: false,
      message: expect.stringContaining('not a CSV text file'),
    });
    expect(plain(decodeCsv(new Uint8Array(11), 10))).toMatchObject({ ok: false, message: expect.stringContaining('larger than') });
  });
});

describe('writing CSV', () => {
  it('quotes what needs quoting and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    for (const lead of ['=', '+', '-', '@']) expect(csvCell(`${lead}1+1`)).toBe(`'${lead}1+1`);
    expect(csvCell('\tcmd')).toBe(`"'\tcmd"`);
    expect(csvCell('\rcmd')).toBe(`"'\rcmd"`);
    expect(csvCell(12)).toBe('12');
    expect(csvCell(null)).toBe('');
  });

  it('round-trips through the parser', () => {
    const rows = [
      ['address', 'note'],
      ['a@x.example', 'line\nbreak, "quoted"'],
      ['b@x.example', ''],
    ];
    expect(cells(toCsv(rows))).toEqual(rows);
  });
});
