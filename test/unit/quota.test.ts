import { describe, expect, it } from 'vitest';
import { checkFootprint, checkQuota, NO_PLAN } from '../../server/core/plan-limits.js';
import { DEFAULT_QUOTA_BYTES, formatBytes, parseSize, percentUsed, quotaLevel } from '../../server/core/quota.js';

describe('quota levels', () => {
  const q = 1000;
  it.each([
    [0, 'ok'],
    [799, 'ok'],
    [800, '80'],
    [899, '80'],
    [900, '90'],
    [949, '90'],
    [950, '95'],
    [999, '95'],
    [1000, 'full'],
    [5000, 'full'],
  ] as const)('%i of 1000 bytes is %s', (used, level) => expect(quotaLevel(used, q)).toBe(level));
  it('percent is rounded to one decimal', () => expect(percentUsed(1, 3)).toBe(33.3));
});

describe('sizes', () => {
  it('shows the default quota as the provider sells it', () => {
    expect(DEFAULT_QUOTA_BYTES).toBe(524288000);
    expect(formatBytes(DEFAULT_QUOTA_BYTES)).toBe('500 MB');
    expect(formatBytes(123 * 1024 * 1024)).toBe('123 MB');
    expect(formatBytes(1536)).toBe('1.5 KB');
  });
  it('parses panel input, MB by default', () => {
    expect(parseSize('500')).toBe(524288000);
    expect(parseSize('2 GB')).toBe(2 * 1024 ** 3);
    expect(parseSize('500MB')).toBe(524288000);
    expect(parseSize('-1')).toBeNull();
    expect(parseSize('lots')).toBeNull();
  });
});

describe('plan limits', () => {
  const plan = { defaultQuotaBytes: 100_000, maxQuotaBytes: 200_000, maxMailboxes: 2, maxStorageBytes: 300_000 };
  it('refuses quotas above the plan maximum or outside the sane range', () => {
    expect(checkQuota(plan, 200_000)).toBeNull();
    expect(checkQuota(plan, 200_001)?.limit).toBe('max_quota_bytes');
    expect(checkQuota(plan, 10)?.limit).toBe('quota_range');
    expect(checkQuota(NO_PLAN, 2 ** 53)?.limit).toBe('quota_range');
  });
  it('counts mailboxes and allocated storage', () => {
    expect(checkFootprint(plan, { mailboxes: 1, allocatedBytes: 100_000 }, 1, 200_000)).toBeNull();
    expect(checkFootprint(plan, { mailboxes: 2, allocatedBytes: 100_000 }, 1, 1)?.limit).toBe('max_mailboxes');
    expect(checkFootprint(plan, { mailboxes: 1, allocatedBytes: 200_000 }, 1, 100_001)?.limit).toBe('max_storage_bytes');
    // Shrinking never violates storage, even when already over it.
    expect(checkFootprint(plan, { mailboxes: 2, allocatedBytes: 400_000 }, 0, -1000)).toBeNull();
  });
});
