import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { TokenExpired, TokenInvalid, TokenWrongReview } from '../../functions/domain/errors.ts';
import { newNonce, signDecisionToken, verifyDecisionToken } from '../../functions/domain/tokens.ts';
import type { DecisionClaims } from '../../functions/domain/tokens.ts';
import { statusOf } from '../support/errors.ts';

const KEY = new Uint8Array(32).map((_, i) => i + 1);
const OTHER_KEY = new Uint8Array(32).map((_, i) => 200 - i);
const NOW = new Date('2026-11-24T09:00:00.000Z');
const LATER = new Date('2026-11-25T09:00:00.000Z');
const REVIEW = 'rv-0123456789abcdef0123456789abcdef';
const claims: DecisionClaims = {
  reviewId: REVIEW,
  approverId: 'mira.okafor',
  step: 0,
  nonce: 'n0nce-AAAAAAAAAAAAAAAAAA',
  expiresAt: LATER,
};

const sign = (over: Partial<DecisionClaims> = {}, key = KEY) => signDecisionToken(key, { ...claims, ...over }, NOW);
const verify = (token: string, at = NOW, reviewId = REVIEW, key = KEY) =>
  verifyDecisionToken(key, token, { reviewId }, at);

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
/** A token over any header and payload, signed with HMAC-SHA256 by hand. */
function handSigned(header: object, payload: object, key = KEY): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

describe('decision link tokens', () => {
  it('round-trips the review, approver, step, nonce and expiry', async () => {
    const token = await sign({ step: 2 });
    expect(token.split('.')).toHaveLength(3);
    await expect(verify(token)).resolves.toEqual({ ...claims, step: 2 });
  });

  it('carries the claims a JWT reader expects', async () => {
    const token = await sign();
    expect(payloadOf(token)).toEqual({
      iss: 'hitl-gate',
      sub: 'mira.okafor',
      aud: REVIEW,
      jti: claims.nonce,
      step: 0,
      purpose: 'decision',
      iat: NOW.getTime() / 1000,
      exp: LATER.getTime() / 1000,
    });
  });

  it('refuses a token whose payload was changed', async () => {
    const [header, , signature] = (await sign()).split('.');
    const forged = `${header}.${b64({ ...payloadOf(await sign()), sub: 'helen.cho' })}.${signature}`;
    await expect(verify(forged)).rejects.toBeInstanceOf(TokenInvalid);
  });

  it('refuses a token whose signature was changed', async () => {
    const token = await sign();
    const [header, payload, signature = ''] = token.split('.');
    const flipped = Buffer.from(signature, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    await expect(verify(`${header}.${payload}.${flipped.toString('base64url')}`)).rejects.toBeInstanceOf(TokenInvalid);
    await expect(verify(`${header}.${payload}.`)).rejects.toBeInstanceOf(TokenInvalid);
  });

  it('refuses a token signed with another key', async () => {
    await expect(verify(await sign({}, OTHER_KEY))).rejects.toBeInstanceOf(TokenInvalid);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const payload = payloadOf(await sign());
    await expect(verify(`${b64({ alg: 'none' })}.${b64(payload)}.`)).rejects.toBeInstanceOf(TokenInvalid);
  });

  it('refuses another algorithm, even with the right key', async () => {
    const payload = payloadOf(await sign());
    const hs512 = await new SignJWT(payload).setProtectedHeader({ alg: 'HS512' }).sign(KEY);
    await expect(verify(hs512)).rejects.toBeInstanceOf(TokenInvalid);
  });

  it('refuses a genuine token from another issuer', async () => {
    await expect(
      verify(handSigned({ alg: 'HS256' }, { ...payloadOf(await sign()), iss: 'someone-else' })),
    ).rejects.toBeInstanceOf(TokenInvalid);
  });

  it('refuses a genuine token missing a claim or with a malformed step', async () => {
    const payload = payloadOf(await sign());
    for (const claim of ['sub', 'aud', 'jti', 'exp', 'iat', 'step']) {
      const { [claim]: _gone, ...rest } = payload;
      await expect(verify(handSigned({ alg: 'HS256' }, rest))).rejects.toBeInstanceOf(TokenInvalid);
    }
    for (const step of [-1, 1.5, '0', null]) {
      await expect(verify(handSigned({ alg: 'HS256' }, { ...payload, step }))).rejects.toBeInstanceOf(TokenInvalid);
    }
    await expect(verify(handSigned({ alg: 'HS256' }, { ...payload, aud: [REVIEW] }))).rejects.toBeInstanceOf(
      TokenInvalid,
    );
    // The hand signer itself is sound: the untouched payload passes.
    await expect(verify(handSigned({ alg: 'HS256' }, payload))).resolves.toEqual(claims);
  });

  it('accepts a link until its expiry and refuses it one second past', async () => {
    const token = await sign();
    await expect(verify(token, new Date(LATER.getTime() - 1000))).resolves.toEqual(claims);
    await expect(verify(token, new Date(LATER.getTime() + 1000))).rejects.toBeInstanceOf(TokenExpired);
  });

  it('calls an expired link expired with a 401 and a plain message', async () => {
    const err = await verify(await sign(), new Date(LATER.getTime() + 1000)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'TokenExpired',
      code: 'TokenExpired',
      message: 'This link has expired.',
    });
    expect(statusOf(err)).toBe(401);
  });

  it('refuses a link for another review with a 403', async () => {
    const err = await verify(await sign(), NOW, 'rv-ffffffffffffffffffffffffffffffff').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenWrongReview);
    expect(err).toMatchObject({ code: 'TokenWrongReview' });
    expect(statusOf(err)).toBe(403);
  });

  it('refuses garbage without leaking why', async () => {
    const garbage = [
      '',
      '.',
      '..',
      'abc',
      'a.b.c',
      'not a token',
      `${'x'.repeat(5000)}`,
      'eyJhbGciOiJIUzI1NiJ9..',
      '\u0000.\u0000.\u0000',
      '{"alg":"HS256"}.{}.x',
    ];
    for (const g of garbage) {
      const err = await verify(g).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenInvalid);
      expect((err as Error).message).toBe('This link is not valid. Use the link from your most recent email.');
    }
    await expect(verifyDecisionToken(KEY, 42 as unknown as string, { reviewId: REVIEW }, NOW)).rejects.toBeInstanceOf(
      TokenInvalid,
    );
  });

  it('refuses a signing key shorter than 256 bits as a configuration fault, not a bad link', async () => {
    await expect(signDecisionToken(new Uint8Array(16), claims, NOW)).rejects.toThrow(TypeError);
    await expect(verifyDecisionToken(new Uint8Array(16), await sign(), { reviewId: REVIEW }, NOW)).rejects.toThrow(
      TypeError,
    );
  });

  it('refuses to sign a link that is already expired or has no nonce', async () => {
    await expect(sign({ expiresAt: NOW })).rejects.toThrow(TypeError);
    await expect(sign({ nonce: '' })).rejects.toThrow(TypeError);
    await expect(sign({ step: -1 })).rejects.toThrow(TypeError);
  });

  it('refuses any single-character change, or reads exactly the same claims (base64 padding bits)', async () => {
    const token = await sign();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), async (i, c) => {
        fc.pre(token[i] !== c);
        const changed = token.slice(0, i) + c + token.slice(i + 1);
        try {
          const read = await verify(changed);
          expect(read).toEqual(claims);
        } catch (err) {
          expect(err).toBeInstanceOf(TokenInvalid);
        }
      }),
      { numRuns: 2000 },
    );
    // Exhaustively over the last character, where base64url has unused bits.
    const last = token.length - 1;
    for (const c of alphabet) {
      if (c === token[last]) continue;
      await verify(token.slice(0, last) + c).then(
        (read) => expect(read).toEqual(claims),
        (err: unknown) => expect(err).toBeInstanceOf(TokenInvalid),
      );
    }
  });
});

describe('link nonces', () => {
  it('are 128 random bits in base64url', () => {
    const nonces = Array.from({ length: 1000 }, newNonce);
    for (const n of nonces) {
      expect(n).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(n, 'base64url')).toHaveLength(16);
    }
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});
