// Where the project's files are (views/, public/, deploy/), whether this module runs from the
// TypeScript source (server/platform/) or from the build (dist/server/platform/).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  // The build mirrors the source tree below dist/, so views/ is never beside a built file.
  while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('mailpanel: cannot find the project root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** The project's root directory: the one that holds package.json, views/ and public/. */
export const PROJECT_ROOT = findRoot();

/** A path below the project root, e.g. projectPath('views', 'emails'). */
export const projectPath = (...parts: string[]) => path.join(PROJECT_ROOT, ...parts);
