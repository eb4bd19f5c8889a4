import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The node arguments that run an entry point (`server/main.ts`) as production does: plain node on its
 * build in dist/ (global-setup.ts builds before any test runs), node itself rather than npm, so that a
 * signal sent to the child (SIGKILL above all) reaches the program under test.
 */
export function entryArgs(script: string): string[] {
  const built = path.join(ROOT, 'dist', script.replace(/\.ts$/, '.js'));
  if (!existsSync(built)) throw new Error(`${path.relative(ROOT, built)} is missing: run \`npm run build\` first`);
  return ['--enable-source-maps', built];
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of our entry points as its own process, the way npm start / npm run cli would. */
export function runScript(script: string, args: string[], env: Record<string, string>, input?: string, timeoutMs = 30_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entryArgs(script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Starts a long-running process and resolves once its output matches `ready`. */
export function startScript(script: string, env: Record<string, string>, ready: RegExp, timeoutMs = 30_000, args: string[] = []) {
  const child = spawn(process.execPath, [...entryArgs(script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // A test runner that dies must not leave our servers or workers behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('close', () => process.off('exit', reap));
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), timeoutMs);
    const onData = (d: Buffer) => {
      output += d;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return {
    child,
    started,
    output: () => output,
    stop: () =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('close', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
