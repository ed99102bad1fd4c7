import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ACCESS_TOKEN_TTL_SECONDS, createTokenSigner } from './auth.js';
import { ManualClock } from './clock.js';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const actor = { userId: 'u-1', role: 'patient' as const, sessionId: 's-1' };

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A token made by hand: any header and claims, signed with HMAC-SHA256 (or SHA512) under `secret`. */
function handMade(header: object, claims: object, secret = SECRET, hash = 'sha256') {
  const body = `${b64(header)}.${b64(claims)}`;
  return `${body}.${createHmac(hash, secret).update(body).digest('base64url')}`;
}

describe('access tokens', () => {
  const clock = new ManualClock('2031-06-18T10:00:00Z');
  const tokens = createTokenSigner(SECRET, clock);
  const now = () => Math.floor(clock.now().getTime() / 1000);
  const claims = () => ({
    sub: 'u-1',
    role: 'patient',
    sid: 's-1',
    iss: 'carebook',
    iat: now(),
    exp: now() + 900,
  });

  test('a signed token verifies to its actor until its 15 minutes pass, by the injected clock', async () => {
    const token = await tokens.sign(actor);
    expect(await tokens.verify(token)).toEqual(actor);
    clock.advance((ACCESS_TOKEN_TTL_SECONDS - 1) * 1000);
    expect(await tokens.verify(token)).toEqual(actor);
    clock.advance(1000);
    await expect(tokens.verify(token)).rejects.toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
  });

  test('a token made by hand with the same secret and claims verifies: plain HS256', async () => {
    expect(await tokens.verify(handMade({ alg: 'HS256', typ: 'JWT' }, claims()))).toEqual(actor);
  });

  test.each([
    ['another secret', handMade({ alg: 'HS256' }, claims(), 'another-secret-of-at-least-32-characters')],
    ['alg none', `${b64({ alg: 'none' })}.${b64(claims())}.`],
    ['HS512', handMade({ alg: 'HS512' }, claims(), SECRET, 'sha512')],
    ['another issuer', handMade({ alg: 'HS256' }, { ...claims(), iss: 'elsewhere' })],
    ['no session', handMade({ alg: 'HS256' }, { ...claims(), sid: undefined })],
    ['an unknown role', handMade({ alg: 'HS256' }, { ...claims(), role: 'root' })],
    ['no expiry', handMade({ alg: 'HS256' }, { ...claims(), exp: undefined })],
    ['garbage', 'not.a.token'],
  ])('%s is TOKEN_INVALID', async (_name, token) => {
    await expect(tokens.verify(token)).rejects.toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
  });
});
