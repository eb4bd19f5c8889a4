import { describe, expect, it } from 'vitest';
import type { MailboxRow } from '../../db/repositories/policy.js';
import { NO_SEND_LIMITS } from '../../server/core/send-limits.js';
import { MailboxCache } from '../../server/policy/cache.js';

const row = (id: number, address: string, m: Partial<MailboxRow> = {}): MailboxRow => ({
  id,
  address,
  quotaBytes: 1000,
  usedBytes: 0,
  level: 'ok',
  active: true,
  sendLimits: NO_SEND_LIMITS,
  ...m,
});

describe('MailboxCache', () => {
  it('starts loading and becomes fresh with the first full load', () => {
    const cache = new MailboxCache();
    expect(cache.state).toBe('loading');
    cache.markStale();
    expect(cache.state).toBe('loading');
    cache.replaceAll([row(1, 'a@x.test', { usedBytes: 5 })]);
    expect(cache.state).toBe('fresh');
    expect(cache.get('a@x.test')).toEqual({ id: 1, quotaBytes: 1000, usedBytes: 5, level: 'ok', active: true, sendLimits: NO_SEND_LIMITS });
    expect(cache.get('b@x.test')).toBeUndefined();
  });

  it('a full load replaces everything, dropping what is no longer there', () => {
    const cache = new MailboxCache();
    cache.replaceAll([row(1, 'a@x.test'), row(2, 'b@x.test')]);
    cache.replaceAll([row(2, 'b@x.test', { level: 'full' })]);
    expect(cache.get('a@x.test')).toBeUndefined();
    expect(cache.get('b@x.test')?.level).toBe('full');
    expect(cache.size).toBe(1);
  });

  it('a reload updates found rows and removes addresses asked for but not found', () => {
    const cache = new MailboxCache();
    cache.replaceAll([row(1, 'a@x.test'), row(2, 'b@x.test')]);
    cache.applyReload(['a@x.test', 'b@x.test', 'c@x.test'], [row(1, 'a@x.test', { usedBytes: 999 }), row(3, 'c@x.test')]);
    expect(cache.get('a@x.test')?.usedBytes).toBe(999);
    expect(cache.get('b@x.test')).toBeUndefined();
    expect(cache.get('c@x.test')).toBeDefined();
  });

  it('a renamed mailbox (announced under its new address only) leaves no entry under the old one', () => {
    const cache = new MailboxCache();
    cache.replaceAll([row(1, 'old@x.test')]);
    cache.applyReload(['new@x.test'], [row(1, 'new@x.test')]);
    expect(cache.get('old@x.test')).toBeUndefined();
    expect(cache.get('new@x.test')).toBeDefined();
    // The old address later going away must not disturb the new one.
    cache.applyReload(['old@x.test'], []);
    expect(cache.get('new@x.test')).toBeDefined();
  });

  it('stale keeps the entries but stops vouching for them until the next full load', () => {
    const cache = new MailboxCache();
    cache.replaceAll([row(1, 'a@x.test')]);
    cache.markStale();
    expect(cache.state).toBe('stale');
    expect(cache.get('a@x.test')).toBeDefined();
    cache.replaceAll([row(1, 'a@x.test')]);
    expect(cache.state).toBe('fresh');
  });

  it('whenFresh resolves true at once, on the next full load, or false after the timeout', async () => {
    const cache = new MailboxCache();
    const started = Date.now();
    expect(await cache.whenFresh(50)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(await cache.whenFresh(0)).toBe(false);
    const waiting = cache.whenFresh(5000);
    setTimeout(() => cache.replaceAll([]), 10);
    expect(await waiting).toBe(true);
    expect(await cache.whenFresh(0)).toBe(true);
  });
});
