// Decision links: a JWS (HS256) naming the review, the approver, the step it was sent for, an expiry and a nonce.
// The nonce makes a link single-use: the decision that uses it claims it in the same conditional write
// (usedLinks on the review item, reviews-table.ts); this module only signs and checks.
import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { TokenExpired, TokenInvalid, TokenWrongReview } from './errors.ts';

export const TOKEN_ISSUER = 'hitl-gate';
const ALG = 'HS256';
/** RFC 7518 3.2: an HS256 key must be at least as long as the hash. */
const MIN_KEY_BYTES = 32;

export interface DecisionClaims {
  reviewId: string;
  approverId: string;
  /** The route step the link was sent for. */
  step: number;
  nonce: string;
  expiresAt: Date;
}

function checkKey(key: Uint8Array): void {
  // A configuration fault, not a bad link: it must not surface as a 401.
  if (!(key instanceof Uint8Array) || key.byteLength < MIN_KEY_BYTES)
    throw new TypeError(`the link-signing key must be at least ${MIN_KEY_BYTES} bytes`);
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

export async function signDecisionToken(key: Uint8Array, claims: DecisionClaims, now: Date): Promise<string> {
  checkKey(key);
  const { reviewId, approverId, step, nonce, expiresAt } = claims;
  if (!nonEmpty(reviewId) || !nonEmpty(approverId) || !nonEmpty(nonce))
    throw new TypeError('a decision link needs a review, an approver and a nonce');
  if (!Number.isSafeInteger(step) || step < 0) throw new TypeError(`step must be a whole number, not ${step}`);
  if (!(expiresAt.getTime() > now.getTime())) throw new TypeError('a decision link must expire after it is issued');
  return new SignJWT({ step })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(approverId)
    .setAudience(reviewId)
    .setJti(nonce)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .sign(key);
}

/**
 * The link's claims if it is genuine, current and for this review. Every other failure is one TokenInvalid,
 * so a caller learns nothing about why a forged link failed.
 */
export async function verifyDecisionToken(
  key: Uint8Array,
  token: string,
  expected: { reviewId: string },
  now: Date,
): Promise<DecisionClaims> {
  checkKey(key);
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw new TokenInvalid();
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ALG],
      issuer: TOKEN_ISSUER,
      currentDate: now,
      requiredClaims: ['sub', 'aud', 'jti', 'exp', 'iat', 'step'],
    }));
  } catch (err) {
    // The signature is checked before the claims, so an expired link is a genuine one.
    if (err instanceof errors.JWTExpired) throw new TokenExpired();
    throw new TokenInvalid();
  }
  const { sub, aud, jti, exp, step } = payload;
  if (
    !nonEmpty(sub) ||
    !nonEmpty(aud) ||
    !nonEmpty(jti) ||
    typeof exp !== 'number' ||
    !Number.isSafeInteger(step) ||
    (step as number) < 0
  ) {
    throw new TokenInvalid();
  }
  if (aud !== expected.reviewId) throw new TokenWrongReview();
  return { reviewId: aud, approverId: sub, step: step as number, nonce: jti, expiresAt: new Date(exp * 1000) };
}

/** 128 random bits, base64url (22 characters): the link's single-use identity. */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}
