import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrl } from '../../server/platform/config.js';

describe('configuration', () => {
  it('has working defaults for a local machine', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/mailpanel');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.roles).toEqual(['web', 'worker', 'policy']);
    expect(c.cookieSecure).toBe(true);
  });
  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ROLES: 'web,mailer', COOKIE_SECURE: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems).toHaveLength(4);
      for (const name of ['PORT', 'DATABASE_URL', 'mailer', 'COOKIE_SECURE']) expect(problems.join('\n')).toContain(name);
    }
  });
  it('never prints credentials of a URL', () => {
    expect(redactUrl('postgres://user:secret@db.example:5433/mp')).toBe('postgres://db.example:5433/mp');
  });
});
