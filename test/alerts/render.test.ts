import { describe, expect, it } from 'vitest';
import type { AlertKind } from '../../server/core/alerts/decide.js';
import { formatPercent, formatSize, renderAlertEmail, type AlertEmailInput } from '../../server/services/alerts/render.js';
import { oneLineSubject } from '../../server/core/alerts/subject.js';
import { wrapText } from '../../server/core/alerts/wrap.js';

const MB = 1024 * 1024;
const QUOTA = 524_288_000;
const PANEL = 'https://panel.example.com/mailboxes/42';

const render = (over: Partial<AlertEmailInput> = {}) =>
  renderAlertEmail({
    kind: 'warning',
    level: '80',
    usedBytes: 412 * MB,
    quotaBytes: QUOTA,
    address: 'info@example.com',
    language: 'en',
    panelUrl: PANEL,
    ...over,
  });
/** Text content of the HTML part, tags removed and the common entities decoded, to compare wording. */
const visible = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
const oneLine = (s: string) => s.replace(/\s+/g, ' ');

describe('renderAlertEmail: content', () => {
  it('English warning: usage, what happens at 100 %, what to do, the panel link', () => {
    const r = render();
    expect(r.subject).toBe('Your mailbox info@example.com is 82% full');
    for (const part of [oneLine(r.text), visible(r.html)]) {
      expect(part).toContain('412 MB of 500 MB, 82%');
      expect(part).toMatch(/turns away new incoming messages/);
      expect(part).toContain('bounce message');
      expect(part).toMatch(/Delete messages you no longer need/);
      expect(part).toMatch(/archive/);
      expect(part).toContain('Empty the Trash folder');
      expect(part).toMatch(/POP3 instead of IMAP/);
      expect(part).toMatch(/one computer only/);
      expect(part).toContain(PANEL);
    }
    expect(r.html).toContain(`<a href="${PANEL}"`);
    expect(r.html).toContain('<html lang="en">');
  });

  it('German warning uses German wording and number format', () => {
    const r = render({ language: 'de', usedBytes: 1.5 * 1024 * MB, quotaBytes: 2 * 1024 * MB });
    expect(r.subject).toBe('Ihr Postfach info@example.com ist zu 75 % voll');
    for (const part of [oneLine(r.text), visible(r.html)]) {
      expect(part).toContain('1,5 GB von 2 GB, 75 %');
      expect(part).toContain('Unzustellbarkeitsnachricht');
      expect(part).toContain('Papierkorb');
      expect(part).toMatch(/POP3 statt IMAP/);
      expect(part).toContain(PANEL);
    }
    expect(r.html).toContain('<html lang="de">');
  });

  it('shows the Unicode form of an IDN address', () => {
    expect(render({ address: 'info@xn--mnchen-3ya.de' }).subject).toContain('info@münchen.de');
  });

  it.each(['en', 'de'] as const)('has distinct wording for warning, full, reminders and recovery (%s)', (language) => {
    const cases: Array<[AlertKind, string, number]> = [
      ['warning', '95', 0.96 * QUOTA],
      ['warning', 'free', 0.97 * QUOTA],
      ['full', 'full', QUOTA],
      ['reminder', 'reminder-1', 0.97 * QUOTA],
      ['reminder', 'reminder-2', QUOTA + MB],
      ['recovered', 'ok', 0.5 * QUOTA],
    ];
    const out = cases.map(([kind, level, used]) => render({ kind, level, usedBytes: used, language }));
    expect(new Set(out.map((r) => r.subject)).size).toBe(cases.length);
    // The first lines (heading) tell warning, full, reminder and recovery apart even without the subject.
    expect(new Set(out.map((r) => r.text.split('\n')[0])).size).toBe(5);
  });

  it('the full notice says incoming mail is rejected now; recovery says mail arrives again, without tips', () => {
    const full = render({ kind: 'full', level: 'full', usedBytes: QUOTA });
    expect(full.subject).toMatch(/full: new mail is being rejected/);
    expect(oneLine(full.text)).toMatch(/While it is full, the mail server turns away every new incoming message/);
    expect(oneLine(full.text)).toContain('500 MB of 500 MB, 100%');
    const back = render({ kind: 'recovered', level: 'ok', usedBytes: 300 * MB });
    expect(back.subject).toBe('Your mailbox info@example.com is back under the limit');
    expect(oneLine(back.text)).toContain('New mail is delivered as usual again');
    expect(back.text).not.toContain('POP3');
    expect(back.html).not.toContain('<ul');
  });

  it('the free-space warning names what is left', () => {
    const r = render({ level: 'free', usedBytes: 490 * MB });
    expect(r.subject).toBe('Only 10 MB left in your mailbox info@example.com');
    expect(oneLine(r.text)).toContain('Only 10 MB of space is left.');
  });

  it('a reminder while full says it is still full', () => {
    const r = render({ kind: 'reminder', level: 'reminder-1', usedBytes: QUOTA, language: 'de' });
    expect(r.subject).toBe('Erinnerung: Ihr Postfach info@example.com ist immer noch voll und weist neue E-Mails ab');
  });

  it('wraps our plain text at 72 columns but keeps the URL whole', () => {
    const long = `${PANEL}?${'x'.repeat(100)}`;
    const r = render({ panelUrl: long });
    for (const line of r.text.split('\n')) if (line !== long) expect(line.length).toBeLessThanOrEqual(72);
    expect(r.text.split('\n')).toContain(long);
  });
});

describe('renderAlertEmail: reseller overrides', () => {
  it('fills the placeholders in subject and text, and keeps panel link and footer', () => {
    const r = render({
      overrides: { subject: '[ACME] {address}: {percent}', text: 'Hi!\n{status} {used} of {quota} ({percent}).\n\nManage: {panelUrl} {unknown}' },
    });
    expect(r.subject).toBe('[ACME] info@example.com: 82%');
    expect(r.text).toContain('Hi!\nYour mailbox is almost full. 412 MB of 500 MB (82%).\n\nManage: https://panel.example.com/mailboxes/42 {unknown}');
    expect(r.text).not.toContain('POP3');
    expect(r.html).toContain('Hi!<br>Your mailbox is almost full. 412 MB of 500 MB (82%).</p>');
    expect(r.html).toContain(`<a href="${PANEL}"`);
    expect(r.text).toContain('automatic message');
  });

  it('falls back to our wording when an override is empty or blank', () => {
    const r = render({ overrides: { subject: ' \r\n ', text: '  \n ' } });
    expect(r.subject).toBe('Your mailbox info@example.com is 82% full');
    expect(r.text).toContain('POP3');
  });

  it('escapes an XSS payload in the override text and subject in the HTML part', () => {
    const payload = '<script>alert(1)</script><img src=x onerror="alert(2)"> & \'';
    const r = render({ overrides: { subject: payload, text: payload } });
    expect(r.html).not.toMatch(/<script|<img/i);
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt; &amp; &#39;');
    // The plain-text part is not HTML: it shows what the reseller wrote, unescaped.
    expect(r.text).toContain(payload);
  });

  it('escapes an XSS payload in the address', () => {
    const r = render({ address: '"><svg onload=alert(1)>@example.com' });
    expect(r.html).not.toMatch(/<svg/i);
    expect(r.html).toContain('&quot;&gt;&lt;svg onload=alert(1)&gt;@example.com');
  });

  it('escapes the panel URL inside the href and refuses non-http URLs', () => {
    const r = render({ panelUrl: 'https://panel.example.com/?a=1&b="2"' });
    expect(r.html).toContain('href="https://panel.example.com/?a=1&amp;b=&quot;2&quot;"');
    expect(() => render({ panelUrl: 'javascript:alert(1)' })).toThrow(/http\(s\) URL/);
    expect(() => render({ panelUrl: 'not a url' })).toThrow(/http\(s\) URL/);
  });

  it('a CR/LF in an override subject cannot start another header', () => {
    const r = render({ overrides: { subject: 'Mailbox full\r\nBcc: victim@example.org\nX-Evil: 1' } });
    expect(r.subject).toBe('Mailbox full Bcc: victim@example.org X-Evil: 1');
    expect(r.subject).not.toMatch(/[\r\n]/);
  });
});

describe('helpers', () => {
  it('oneLineSubject removes every control and line-separator character and caps the length', () => {
    expect(oneLineSubject('a\u2028b\u0085c\td\u0000e\r\n')).toBe('a b c d e');
    expect([...oneLineSubject('ü'.repeat(500))]).toHaveLength(200);
  });
  it('formatPercent rounds down, so 99.6 % never reads 100 %', () => {
    expect(formatPercent(0.996 * QUOTA, QUOTA, 'en')).toBe('99%');
    expect(formatPercent(1.2 * QUOTA, QUOTA, 'de')).toBe('120 %');
    expect(formatPercent(5, 0, 'en')).toBe('0%');
  });
  it('formatSize uses a decimal comma in German', () => {
    expect(formatSize(1.5 * 1024 * MB, 'de')).toBe('1,5 GB');
    expect(formatSize(1.5 * 1024 * MB, 'en')).toBe('1.5 GB');
    expect(formatSize(-5, 'en')).toBe('0 bytes');
  });
  it('wrapText breaks at spaces and indents continuation lines', () => {
    expect(wrapText('aaa bbb ccc', 7, '- ', '  ')).toBe('- aaa\n  bbb\n  ccc');
  });
});

describe("the mailbox's own copy: its owner's page and the cleanup that fits", () => {
  const action = { folder: 'Junk' as const, bytes: 120 * MB, url: 'https://panel.example.com/my?suggest=Junk#cleanup-h' };

  it('offers "Empty Junk: frees 120 MB" as a button and links to the owner page, in English and German', () => {
    const en = render({ owner: true, panelUrl: 'https://panel.example.com/my', action });
    expect(en.text).toContain('Empty Junk: frees 120 MB:\nhttps://panel.example.com/my?suggest=Junk#cleanup-h');
    expect(en.text).toContain('Sign in with your email address and mailbox password');
    expect(en.html).toContain('href="https://panel.example.com/my?suggest=Junk#cleanup-h"');
    expect(visible(en.html)).toContain('Open your mailbox page');
    const de = render({ owner: true, language: 'de', panelUrl: 'https://panel.example.com/my', action });
    expect(de.text).toContain('Spam-Ordner leeren: gibt 120 MB frei');
    expect(visible(de.html)).toContain('Zu Ihrem Postfach');
  });

  it("keeps the customer's wording and link for other recipients, and offers no cleanup once recovered", () => {
    const contact = render();
    expect(contact.text).not.toContain('Empty Junk');
    expect(visible(contact.html)).toContain('Open the control panel');
    expect(render({ kind: 'recovered', level: 'ok', owner: true, action }).text).not.toContain('Empty Junk');
  });
});
