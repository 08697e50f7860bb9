// `npm run load`'s flags: defaults, every flag in range, and a refusal that gives the range for each out of it.
import { LoadFlagError, parseLoadFlags, percentile } from '../../scripts/load-flags.ts';

describe('npm run load flags', () => {
  it('defaults to 20 a second for 10 s, the 70/20/8/2 mix, steady, at SES 14 a second', () => {
    expect(parseLoadFlags([])).toEqual({
      rate: 20,
      duration: 10,
      mix: { low: 70, medium: 20, high: 8, critical: 2 },
      shape: 'steady',
      sesRate: 14,
      sesDaily: 50_000,
      drainLimit: 1800,
      lambdaConcurrency: 1000,
      putEventsRate: 10_000,
      startRate: 6000,
      json: false,
    });
  });

  it('reads every flag, spaced or with =', () => {
    expect(
      parseLoadFlags([
        '--rate',
        '200',
        '--duration=60',
        '--mix',
        '50/30/15/5',
        '--shape',
        'burst',
        '--ses-rate=140',
        '--lambda-concurrency',
        '50',
        '--putevents-rate=400',
        '--start-rate',
        '300',
        '--json',
      ]),
    ).toMatchObject({
      rate: 200,
      duration: 60,
      mix: { low: 50, medium: 30, high: 15, critical: 5 },
      shape: 'burst',
      sesRate: 140,
      lambdaConcurrency: 50,
      putEventsRate: 400,
      startRate: 300,
      json: true,
    });
  });

  it.each([
    [['--rate', '0'], '--rate must be a whole number from 1 to 2000, got "0".'],
    [['--rate', '2001'], '--rate must be a whole number from 1 to 2000, got "2001".'],
    [['--duration', '1.5'], '--duration must be a whole number from 1 to 3600, got "1.5".'],
    [['--ses-rate', '-3'], '--ses-rate must be a whole number from 1 to 100000, got "-3".'],
    [['--lambda-concurrency', '0'], '--lambda-concurrency must be a whole number from 1 to 100000, got "0".'],
    [['--start-rate', '1e3'], '--start-rate must be a whole number from 1 to 1000000, got "1e3".'],
    [['--mix', '70/20/8'], '--mix must be four whole percentages low/medium/high/critical that add up to 100'],
    [['--mix', '70/20/8/3'], '--mix percentages must add up to 100, got 70/20/8/3 = 101.'],
    [['--shape', 'spiky'], '--shape must be "steady" or "burst", got "spiky".'],
    [['--rate'], '--rate needs a value.'],
    [['--fast'], 'unknown flag "--fast".'],
  ])('refuses %j with the range it allows', (argv, says) => {
    expect(() => parseLoadFlags(argv)).toThrow(LoadFlagError);
    expect(() => parseLoadFlags(argv)).toThrow(says);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });
});
