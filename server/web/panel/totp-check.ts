import type { FastifyInstance, FastifyRequest } from 'fastify';
import { useTotpStep } from '../../../db/repositories/users.js';
import { totpStep } from '../../core/totp.js';
import { deviceCookieName } from './session.js';

export type TotpCheck = 'ok' | 'wrong' | 'throttled';

export const TOTP_MESSAGES: Record<Exclude<TotpCheck, 'ok'>, string> = {
  wrong: 'That code is not right. Enter the current code from your app.',
  throttled: 'Too many failed attempts. Try again in an hour.',
};

/**
 * Every TOTP code check (sign-in, confirming, disabling) in one place: throttled like passwords,
 * a code works once (its step is remembered), and a failure counts.
 */
export async function checkTotp(
  app: FastifyInstance,
  req: FastifyRequest,
  userId: number,
  email: string,
  secret: string | null,
  code: string,
): Promise<TotpCheck> {
  const attempt = { kind: 'totp' as const, account: email, ip: req.ip, device: req.cookies[deviceCookieName(app.config.cookieSecure)] ?? null };
  if (!(await app.throttle.allowed(attempt))) return 'throttled';
  const step = secret ? totpStep(secret, code.trim()) : null;
  if (step === null || !(await useTotpStep(app.db, userId, step))) {
    await app.throttle.failed(attempt);
    return 'wrong';
  }
  await app.throttle.succeeded(attempt);
  return 'ok';
}
