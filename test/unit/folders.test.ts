import { describe, expect, it } from 'vitest';
import { folderDir, folderName, foldersOf } from '../../server/core/maildir/folders.js';
import { folderState, type MaildirState } from '../../server/core/maildir/scan-state.js';

describe('folder names as a client sees them', () => {
  it('decodes Maildir++ directories: INBOX, levels joined by "/", modified UTF-7 (RFC 3501)', () => {
    expect(folderName('')).toBe('INBOX');
    expect(folderName('.Trash')).toBe('Trash');
    expect(folderName('.Archive.2024')).toBe('Archive/2024');
    expect(folderName('.Entw&APw-rfe')).toBe('Entwürfe');
    expect(folderName('.&ZeVnLIqe-')).toBe('日本語');
    expect(folderName('.Tom &- Jerry')).toBe('Tom & Jerry');
    expect(folderName('.INBOX.Rechnungen.2025')).toBe('INBOX/Rechnungen/2025');
  });

  it('maps a name back to its directory', () => {
    for (const dir of ['', '.Trash', '.Archive.2024', '.Entw&APw-rfe', '.&ZeVnLIqe-', '.Tom &- Jerry']) expect(folderDir(folderName(dir))).toBe(dir);
    expect(folderDir('inbox')).toBe('');
  });
});

describe('per-folder usage from a stored scan state', () => {
  const dirs = (bytes: number, messages: number) => ({ mtime: 1, bytes, messages });
  const state: MaildirState = {
    v: 1,
    root: 1,
    folders: [folderState('', dirs(100, 2), dirs(50, 1)), folderState('.Archive.2024', dirs(7, 1), dirs(0, 0)), folderState('.Trash', dirs(0, 0), dirs(30, 3))],
  };

  it('adds cur/ and new/, INBOX first then by name, from the object or its JSON text', () => {
    const expected = [
      { name: 'INBOX', bytes: 150, messages: 3 },
      { name: 'Archive/2024', bytes: 7, messages: 1 },
      { name: 'Trash', bytes: 30, messages: 3 },
    ];
    expect(foldersOf(state)).toEqual(expected);
    expect(foldersOf(JSON.stringify(state))).toEqual(expected);
  });

  it('gives no folders for a missing or broken state', () => {
    expect(foldersOf(null)).toEqual([]);
    expect(foldersOf('{"v":1')).toEqual([]);
  });
});
