// Decision links: a JWS (HS256) naming the review, the approver, the step it was sent for, an expiry and a nonce.
// The nonce makes a link single-use: the decision that uses it claims it in the same conditional write
// (usedLinks on the review item, reviews-table.ts); this module only signs and checks.
// Inbox links: the same key and algorithm, naming one person and an expiry; their `purpose` claim keeps the
// two apart, so neither kind of link is ever accepted as the other.
import { createHash, randomBytes } from 'node:crypto';
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

/** What a link is for: one review's decision, or the approver's inbox (everything waiting for them). */
export type TokenPurpose = 'decision' | 'inbox';

export interface InboxClaims {
  approverId: string;
  /** The link's identity: each review decided from the inbox claims a nonce derived from it (inboxDecisionNonce). */
  nonce: string;
  expiresAt: Date;
}

/** An inbox link's lifetime: a week, longer than any step's SLA in the shipped policy; each email brings a fresh one. */
export const INBOX_LINK_DAYS = 7;

const DAY = 24 * 3600_000;

/** A decision link stays valid a day past the step's deadline, so a late click shows what happened instead of failing. */
export function decisionLinkExpiry(deadline: string | undefined, now: Date): Date {
  const due = deadline ? Date.parse(deadline) : now.getTime() + 7 * DAY;
  return new Date(Math.max(due, now.getTime()) + DAY);
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
  return new SignJWT({ step, purpose: 'decision' satisfies TokenPurpose })
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
  const payload = await verified(key, token, now);
  // Links signed before links had a purpose are decision links; an inbox link never is one.
  if (payload.purpose !== undefined && payload.purpose !== 'decision')
    throw new TokenInvalid("This is your inbox link, not a review's link: open the review from your inbox.");
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

export async function signInboxToken(key: Uint8Array, claims: InboxClaims, now: Date): Promise<string> {
  checkKey(key);
  const { approverId, nonce, expiresAt } = claims;
  if (!nonEmpty(approverId) || !nonEmpty(nonce)) throw new TypeError('an inbox link needs an approver and a nonce');
  if (!(expiresAt.getTime() > now.getTime())) throw new TypeError('an inbox link must expire after it is issued');
  return new SignJWT({ purpose: 'inbox' satisfies TokenPurpose })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(approverId)
    .setJti(nonce)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .sign(key);
}

/** The inbox link's claims if it is genuine, current and an inbox link (a decision link is refused). */
export async function verifyInboxToken(key: Uint8Array, token: string, now: Date): Promise<InboxClaims> {
  const payload = await verified(key, token, now);
  if (payload.purpose !== 'inbox')
    throw new TokenInvalid(
      'This link opens one review, not your inbox. Use the inbox link from your most recent email.',
    );
  const { sub, jti, exp } = payload;
  if (!nonEmpty(sub) || !nonEmpty(jti) || typeof exp !== 'number' || payload.aud !== undefined)
    throw new TokenInvalid();
  return { approverId: sub, nonce: jti, expiresAt: new Date(exp * 1000) };
}

/**
 * A genuine, current link's payload (its purpose's own claims are checked by the caller, after the purpose, so a
 * link of the other kind is told what it is); every failure but expiry is one TokenInvalid.
 */
async function verified(key: Uint8Array, token: string, now: Date): Promise<Record<string, unknown>> {
  checkKey(key);
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw new TokenInvalid();
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALG],
      issuer: TOKEN_ISSUER,
      currentDate: now,
      requiredClaims: ['sub', 'jti', 'exp', 'iat'],
    });
    return payload;
  } catch (err) {
    // The signature is checked before the claims, so an expired link is a genuine one.
    if (err instanceof errors.JWTExpired) throw new TokenExpired();
    throw new TokenInvalid();
  }
}

/**
 * The nonce a decision from the inbox claims on one review: derived from the inbox link, the review, its step and
 * the action's hash, so the same request sent again is recognised as a repeat, and a changed action (a new hash)
 * or a later step is a new decision. The derived value never leaves the server.
 */
export function inboxDecisionNonce(inboxNonce: string, reviewId: string, step: number, actionHash: string): string {
  return createHash('sha256')
    .update(`inbox\0${inboxNonce}\0${reviewId}\0${step}\0${actionHash}`)
    .digest('base64url')
    .slice(0, 22);
}

/** 128 random bits, base64url (22 characters): the link's single-use identity. */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}
