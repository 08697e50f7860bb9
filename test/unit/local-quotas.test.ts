import { AWS_DEFAULT_QUOTAS, quotasFrom, TokenBucket } from '../../local/quotas.ts';

describe('local quotas', () => {
  test('a token bucket gives its burst at once, then its rate a second', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 499;
    expect(bucket.take()).toBe(false);
    now = 500;
    expect(bucket.take()).toBe(true);
    now = 10_000;
    // Never more than the burst, however long it waited.
    expect([bucket.take(3), bucket.take()]).toEqual([true, false]);
  });

  test('a request for more than is there takes nothing', () => {
    const bucket = new TokenBucket(1, 2, () => 0);
    expect(bucket.take(3)).toBe(false);
    expect(bucket.take(2)).toBe(true);
  });

  test("the defaults are AWS's, and flags change them within range", () => {
    expect(quotasFrom({})).toEqual(AWS_DEFAULT_QUOTAS);
    expect(AWS_DEFAULT_QUOTAS).toEqual({
      lambdaConcurrency: 1000,
      putEventsRate: 10_000,
      startExecutionRate: 6000,
      startExecutionBurst: 6000,
    });
    expect(quotasFrom({ HITL_LAMBDA_CONCURRENCY: '50', HITL_START_EXECUTION_RATE: '20' })).toEqual({
      lambdaConcurrency: 50,
      putEventsRate: 10_000,
      startExecutionRate: 20,
      startExecutionBurst: 20,
    });
    expect(() => quotasFrom({ HITL_PUTEVENTS_RATE: '0' })).toThrow(
      'HITL_PUTEVENTS_RATE must be a whole number from 1 to 1000000, not "0"',
    );
    expect(() => quotasFrom({ HITL_LAMBDA_CONCURRENCY: '2.5' })).toThrow(/HITL_LAMBDA_CONCURRENCY must be a whole/);
  });
});
