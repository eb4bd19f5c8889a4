import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = `/usr/lib/postgresql/${readdirSync('/usr/lib/postgresql')[0]}/bin`;

/**
 * A private PostgreSQL cluster for tests that stop and restart the database; the shared one on
 * 5432 serves every other test file and must never go down. Runs as the postgres system user.
 */
export async function startPostgres() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mp-pg-'));
  chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout), Number((await run('id', ['-g', 'postgres'])).stdout));
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(BIN, cmd), ...args]);
  await asPostgres('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync']);
  const ctl = (action: string) =>
    asPostgres('pg_ctl', [
      '-D',
      data,
      '-w',
      '-l',
      path.join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-m',
      'fast',
      action,
    ]);
  await ctl('start');
  // While it was down, another test file may have picked its free port for a moment (freePort binds
  // and releases): a restart on the same port tries again for a few seconds before failing.
  const startAgain = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ctl('start');
      } catch (err) {
        if (attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const stopOnExit = () => void ctl('stop').catch(() => {});
  process.once('exit', stopOnExit);
  return {
    port,
    url: (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    stop: () => ctl('stop'),
    start: () => startAgain(),
    async destroy() {
      process.off('exit', stopOnExit);
      await ctl('stop').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
