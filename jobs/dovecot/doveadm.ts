// doveadm, the way the node's worker asks its Dovecot to act on a mailbox: quota recounts, searches,
// expunges. Arguments go to execFile one by one (no shell); output is read as JSON.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UnrecoverableError } from 'bullmq';

const run = promisify(execFile);

/** A folder the query named does not exist (doveadm: "Mailbox doesn't exist"). */
export class NoSuchFolder extends Error {}

/**
 * Runs `<doveadm> <args>` and returns its output. A missing doveadm is unrecoverable for the job (the
 * node must set DOVEADM); any other failure is an Error with doveadm's own message, for the retry.
 */
export async function doveadm(command: string[], args: string[], timeoutMs = 60_000): Promise<string> {
  const [bin, ...pre] = command;
  try {
    return (await run(bin, [...pre, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UnrecoverableError(`doveadm not found (${bin}): set DOVEADM on this node`);
    const said = (e.stderr || e.message).trim();
    if (/Mailbox doesn't exist/i.test(said)) throw new NoSuchFolder(said.slice(0, 300));
    throw new Error(`doveadm ${args[0]} failed: ${said.slice(0, 300)}`);
  }
}

/** The same with `-f json`: one object per row, every value a string. */
export async function doveadmJson(command: string[], args: string[], timeoutMs?: number): Promise<Record<string, string>[]> {
  const out = (await doveadm(command, ['-f', 'json', ...args], timeoutMs)).trim();
  return out ? (JSON.parse(out) as Record<string, string>[]) : [];
}
