// Every query lives in db/ (repositories: plain functions taking db). Outside it, kysely may only be
// imported for its types: a value import (sql, a builder) is a query written in the wrong place.
// (dependency-cruiser's swc parser does not report kysely's imports, so this reads the sources.)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** The names a statement imports from kysely as values (not `import type`, not `type X` specifiers). */
function kyselyValues(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/import\s+(type\s+)?(\{[^}]*\}|\*\s+as\s+\w+|\w+)\s+from\s+['"]kysely['"]/g)) {
    if (m[1]) continue;
    const clause = m[2];
    if (!clause.startsWith('{')) found.push(clause);
    else
      for (const s of clause
        .slice(1, -1)
        .split(',')
        .map((x) => x.trim()))
        if (s && !s.startsWith('type ')) found.push(s);
  }
  return found;
}

describe('queries live in db/', () => {
  it('finds a value import of kysely when there is one', () => {
    expect(kyselyValues("import { sql } from 'kysely';")).toEqual(['sql']);
    expect(kyselyValues("import { type Kysely, sql } from 'kysely';")).toEqual(['sql']);
    expect(kyselyValues("import type { Kysely } from 'kysely';\nimport { type Selectable } from 'kysely';")).toEqual([]);
  });

  it('no file of server/, jobs/ or deploy/ imports kysely but for its types', () => {
    const offenders = ['server', 'jobs', 'deploy']
      .flatMap(sources)
      .map((file) => [file, kyselyValues(readFileSync(path.join(ROOT, file), 'utf8'))] as const)
      .filter(([, names]) => names.length > 0);
    expect(offenders).toEqual([]);
  });
});
