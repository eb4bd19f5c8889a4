// Pure quota arithmetic shared by the panel, the API, the scanner and the policy service.
export const DEFAULT_QUOTA_BYTES = 524_288_000; // 500 MB as the provider sells it
export const MIN_QUOTA_BYTES = 1024;
export const MAX_QUOTA_BYTES = Number.MAX_SAFE_INTEGER;

export const LEVELS = ['ok', '80', '90', '95', 'full'] as const;
export type Level = (typeof LEVELS)[number];

export function quotaLevel(usedBytes: number, quotaBytes: number): Level {
  if (quotaBytes <= 0) return 'ok';
  const ratio = usedBytes / quotaBytes;
  if (ratio >= 1) return 'full';
  if (ratio >= 0.95) return '95';
  if (ratio >= 0.9) return '90';
  if (ratio >= 0.8) return '80';
  return 'ok';
}

export function percentUsed(usedBytes: number, quotaBytes: number): number {
  if (quotaBytes <= 0) return 0;
  return Math.round((usedBytes / quotaBytes) * 1000) / 10;
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];
/** "123 MB" in the provider's 1024-based units, so 524288000 bytes reads as "500 MB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 100 || Number.isInteger(value) ? Math.round(value).toString() : value.toFixed(1);
  return `${shown} ${UNITS[unit]}`;
}

/** Parses "500", "500 MB", "1.5 GB" from panel forms into bytes (1024-based); null when unreadable. */
export function parseSize(input: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(bytes|b|kb|mb|gb|tb)?\s*$/i.exec(input);
  if (!m) return null;
  const unit = (m[2] ?? 'mb').toLowerCase();
  const power = { bytes: 0, b: 0, kb: 1, mb: 2, gb: 3, tb: 4 }[unit] ?? 2;
  const bytes = Math.round(Number(m[1]) * 1024 ** power);
  return Number.isSafeInteger(bytes) ? bytes : null;
}
