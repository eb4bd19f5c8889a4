// What ships: the engines every installed package asks for, and the Docker image's recipe.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.js';

function packageDirs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (name.startsWith('@')) out.push(...packageDirs(p));
    else {
      out.push(p);
      try {
        out.push(...packageDirs(path.join(p, 'node_modules')));
      } catch {}
    }
  }
  return out;
}

describe('packaging', () => {
  it('installs no package whose engines exclude the Node this machine runs (npm ci prints no EBADENGINE)', () => {
    const bad: string[] = [];
    for (const dir of packageDirs(path.join(ROOT, 'node_modules'))) {
      let pkg: { name?: string; version?: string; engines?: { node?: string } };
      try {
        pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      const range = pkg.engines?.node;
      if (range && semver.validRange(range) && !semver.satisfies(process.version, range)) bad.push(`${pkg.name}@${pkg.version} wants node ${range}`);
    }
    expect(bad).toEqual([]);
  });

  it('builds a multi-stage image on the LTS line, without tests or benches, with an init and a health check', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:26-/);
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(final).not.toMatch(/^COPY (\. |test|bench)/m);
    expect(final).toMatch(/^COPY --from=build \/app\/dist dist$/m);
    // The scanner's addon, built where the compiler is, loaded from where native-fs.ts looks for it.
    expect(final).toMatch(/^COPY --from=build \/app\/build\/Release\/maildir_fs\.node build\/Release\/maildir_fs\.node$/m);
    expect(final).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(final).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
    expect(final).toMatch(/^CMD \["node", .*"dist\/server\/main\.js"\]$/m);
    expect(final).toMatch(/^USER node$/m);
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.env', 'test', 'bench', 'node_modules', 'dist', 'build']) expect(ignore).toContain(entry);
  });
});
