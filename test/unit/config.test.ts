import { parseSetting } from '../../functions/config.ts';

describe("a function's settings", () => {
  it('takes a setting as it is given, and a default where the setting has one', () => {
    expect(parseSetting('REVIEWS_TABLE', 'hitl-gate-dev-reviews')).toBe('hitl-gate-dev-reviews');
    expect(parseSetting('STAGE', undefined)).toBe('dev');
    expect(parseSetting('MAIL_SEND_RATE', undefined)).toBe(14);
    expect(parseSetting('MAIL_SEND_RATE', '0.5')).toBe(0.5);
    expect(parseSetting('RETENTION_DAYS', '30')).toBe(30);
    expect(parseSetting('LAMBDA_TASK_ROOT', undefined)).toBeUndefined();
  });

  it('refuses a setting the function reads but was not given, naming it and where to give it', () => {
    expect(() => parseSetting('EVENT_BUS_NAME', undefined)).toThrow(
      'hitl-gate configuration is invalid: EVENT_BUS_NAME is not set for this function (serverless.yml environment)',
    );
  });

  it('refuses a value of the wrong kind, saying what it should be', () => {
    expect(() => parseSetting('REVIEWS_TABLE', 'ab')).toThrow('REVIEWS_TABLE must be at least 3 characters, got "ab"');
    expect(() => parseSetting('MAIL_FROM', 'hitl-gate')).toThrow('MAIL_FROM must be an email address');
    expect(() => parseSetting('PUBLIC_URL', 'example.com/reviews')).toThrow('PUBLIC_URL must be a URL');
    expect(() => parseSetting('NOTIFICATION_QUEUE_URL', '')).toThrow('NOTIFICATION_QUEUE_URL must be a URL');
    for (const bad of ['0', '-1', 'ten', '', 'Infinity'])
      expect(() => parseSetting('MAIL_SEND_RATE', bad)).toThrow('MAIL_SEND_RATE must be a positive number');
    expect(() => parseSetting('MAIL_SENDERS', '1.5')).toThrow('MAIL_SENDERS must be a positive whole number');
  });
});
