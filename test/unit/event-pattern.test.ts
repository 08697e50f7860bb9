import fc from 'fast-check';
import { compileEventPattern, InvalidEventPatternError, matchesEventPattern } from '../../local/eventbridge/pattern.ts';

// Sample events and patterns follow AWS's documentation: "Amazon EventBridge event patterns",
// "Content filtering in Amazon EventBridge event patterns", "Arrays in ...", "Matching null values ...".

/** The documentation's EC2 instance state-change event. */
const ec2StateChange = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

/** The documentation's content-filtering sample: the same notification with counters and a source IP. */
const contentSample = {
  ...ec2StateChange,
  time: '2017-10-02T16:24:49Z',
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

/** An event with `detail` replaced, for operators tried on one field. */
function withDetail(detail: Record<string, unknown>) {
  return { ...ec2StateChange, detail };
}

/** Whether the match values, given for one detail field, match an event where that field holds `value`. */
function matchesValue(matchValues: unknown[], value: unknown): boolean {
  return matchesEventPattern({ detail: { value: matchValues } }, withDetail({ value }));
}

function refusal(pattern: string | object): InvalidEventPatternError {
  try {
    compileEventPattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`pattern was accepted: ${JSON.stringify(pattern)}`);
}

describe('event pattern: exact values', () => {
  it("matches the documentation's EC2 termination pattern", () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matchesEventPattern(pattern, ec2StateChange)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'running' }))).toBe(false);
  });

  it('requires every field of the pattern to match', () => {
    expect(matchesEventPattern({ source: ['aws.ec2'], region: ['us-east-1'] }, ec2StateChange)).toBe(false);
  });

  it('matches when any value of a field matches', () => {
    expect(matchesEventPattern({ source: ['aws.fargate', 'aws.ec2'] }, ec2StateChange)).toBe(true);
    expect(matchesEventPattern({ source: ['aws.fargate', 'aws.s3'] }, ec2StateChange)).toBe(false);
  });

  it('ignores event fields the pattern does not name', () => {
    expect(matchesEventPattern({ account: ['111122223333'] }, ec2StateChange)).toBe(true);
  });

  it('does not match a field missing from the event', () => {
    expect(matchesEventPattern({ detail: { reason: ['manual'] } }, ec2StateChange)).toBe(false);
    expect(matchesEventPattern({ detail: { reason: [null] } }, ec2StateChange)).toBe(false);
  });

  it('compares numbers as numbers', () => {
    expect(matchesValue([300], 300.0)).toBe(true);
    expect(matchesEventPattern('{"detail":{"size":[3.0e2]}}', withDetail({ size: 300 }))).toBe(true);
    expect(matchesValue([300], 301)).toBe(false);
  });

  it('does not match a number with a string that spells it, nor the reverse', () => {
    expect(matchesValue(['300'], 300)).toBe(false);
    expect(matchesValue([300], '300')).toBe(false);
    expect(matchesValue(['true'], true)).toBe(false);
  });

  it('matches booleans', () => {
    expect(matchesValue([true], true)).toBe(true);
    expect(matchesValue([true], false)).toBe(false);
  });

  it('matches null and empty strings without treating them as interchangeable', () => {
    const event = withDetail({ eventVersion: '', responseElements: null });
    expect(matchesEventPattern({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { responseElements: [null] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { eventVersion: [null] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { responseElements: [''] } }, event)).toBe(false);
  });

  it('is case sensitive in field names and values', () => {
    expect(matchesEventPattern({ Source: ['aws.ec2'] }, ec2StateChange)).toBe(false);
    expect(matchesEventPattern({ source: ['AWS.EC2'] }, ec2StateChange)).toBe(false);
  });

  it('matches an address written in another IPv6 form, as AWS compares IP-shaped values as addresses', () => {
    const event = withDetail({ ip: '2001:0db8:0000:0000:0000:0000:0000:0001' });
    expect(matchesEventPattern({ detail: { ip: ['2001:db8::1'] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { ip: ['2001:db8::2'] } }, event)).toBe(false);
  });

  it('does not match an event that is not an object', () => {
    const pattern = compileEventPattern({ detail: { state: [{ exists: false }] } });
    expect(pattern.matches(null)).toBe(false);
    expect(pattern.matches(['terminated'])).toBe(false);
    expect(pattern.matches('{"source":"aws.ec2"}')).toBe(false);
  });
});

describe('event pattern: nested fields', () => {
  it('descends into nested objects', () => {
    const event = withDetail({ requestParameters: { bucket: { name: 'reviews' } } });
    expect(matchesEventPattern({ detail: { requestParameters: { bucket: { name: ['reviews'] } } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { requestParameters: { bucket: { name: ['other'] } } } }, event)).toBe(false);
  });

  it('does not match a value against an object, nor an object against a value', () => {
    expect(matchesEventPattern({ detail: ['terminated'] }, ec2StateChange)).toBe(false);
    expect(matchesEventPattern({ detail: { state: { name: ['terminated'] } } }, ec2StateChange)).toBe(false);
  });

  it('joins nested names with dots, as AWS does', () => {
    const nested = withDetail({ state: { status: 'running' } });
    const dotted = withDetail({ 'state.status': 'running' });
    expect(matchesEventPattern({ detail: { 'state.status': ['running'] } }, nested)).toBe(true);
    expect(matchesEventPattern({ detail: { state: { status: ['running'] } } }, dotted)).toBe(true);
    const deeper = withDetail({ 'state.status': { status: 'running' } });
    expect(matchesEventPattern({ detail: { state: { status: ['running'] } } }, deeper)).toBe(false);
  });

  it('uses the last of two patterns for the same field', () => {
    // The documentation's note: with "location" twice, only the second one counts.
    const pattern = '{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}';
    expect(matchesEventPattern(pattern, withDetail({ location: 'eu-west' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ location: 'us-east' }))).toBe(false);
  });
});

describe('event pattern: arrays in events', () => {
  it('matches when the pattern values and the event array intersect', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      ...ec2StateChange,
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, ec2StateChange)).toBe(false);
  });

  it('applies operators to each element of an event array', () => {
    const event = withDetail({ ports: [22, 8080], tags: ['env:prod', 'team:risk'] });
    expect(matchesEventPattern({ detail: { ports: [{ numeric: ['>', 1024] }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { tags: [{ prefix: 'team:' }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { tags: [{ prefix: 'owner:' }] } }, event)).toBe(false);
  });

  it('looks into nested arrays', () => {
    expect(
      matchesValue(
        [4],
        [
          [1, 2],
          [3, [4]],
        ],
      ),
    ).toBe(true);
  });

  it('matches fields of objects inside an array', () => {
    const event = withDetail({
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    });
    expect(matchesEventPattern({ detail: { employees: { firstName: ['Anna'] } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { employees: { firstName: ['Anna'], lastName: ['Smith'] } } }, event)).toBe(
      true,
    );
  });

  it('takes all fields under an array of objects from the same element', () => {
    const event = withDetail({
      employees: [
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    });
    expect(matchesEventPattern({ detail: { employees: { firstName: ['Anna'], lastName: ['Jones'] } } }, event)).toBe(
      false,
    );
  });

  it('judges absence within the element the other fields chose', () => {
    const event = withDetail({ approvers: [{ id: 'a', decided: true }, { id: 'b' }] });
    const undecided = { detail: { approvers: { id: ['b'], decided: [{ exists: false }] } } };
    const undecidedA = { detail: { approvers: { id: ['a'], decided: [{ exists: false }] } } };
    expect(matchesEventPattern(undecided, event)).toBe(true);
    expect(matchesEventPattern(undecidedA, event)).toBe(false);
  });

  it('stays fast when many array elements cannot change the outcome', () => {
    const many = Array.from({ length: 100 }, (_, index) => ({ id: `item-${index}` }));
    const event = withDetail({ a: many, b: many, c: many, d: many });
    const anyItem = { id: [{ prefix: 'item-' }] };
    const pattern = compileEventPattern({ detail: { a: anyItem, b: anyItem, c: anyItem, d: { id: ['none'] } } });
    const started = performance.now();
    expect(pattern.matches(event)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500); // trying each of the 100^3 choices takes seconds
  });

  it('finds nothing in an empty array, not even null', () => {
    const event = { ...ec2StateChange, resources: [] };
    expect(matchesEventPattern({ resources: [null] }, event)).toBe(false);
    expect(matchesEventPattern({ resources: [{ exists: true }] }, event)).toBe(false);
    expect(matchesEventPattern({ resources: [{ exists: false }] }, event)).toBe(true);
  });
});

describe('event pattern: prefix and suffix', () => {
  it('matches a prefix', () => {
    expect(matchesEventPattern({ time: [{ prefix: '2017-10-02' }] }, contentSample)).toBe(true);
    expect(matchesEventPattern({ time: [{ prefix: '2017-10-03' }] }, contentSample)).toBe(false);
  });

  it('matches a prefix ignoring case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ service: 'eventbridge' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ service: 'EVENTBRIDGE' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ service: 'lambda' }))).toBe(false);
  });

  it('matches a suffix', () => {
    expect(matchesValue([{ suffix: '.png' }], 'cat.png')).toBe(true);
    expect(matchesValue([{ suffix: '.png' }], 'cat.PNG')).toBe(false);
  });

  it('matches a suffix ignoring case', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'cat.PNG' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'cat.jpg' }))).toBe(false);
  });

  it('applies only to strings', () => {
    expect(matchesValue([{ prefix: '4' }], 404)).toBe(false);
    expect(matchesValue([{ suffix: '4' }], 404)).toBe(false);
  });

  it('matches any string with an empty prefix or suffix', () => {
    expect(matchesValue([{ prefix: '' }], '')).toBe(true);
    expect(matchesValue([{ suffix: '' }], 'x')).toBe(true);
    expect(matchesValue([{ prefix: '' }], null)).toBe(false);
  });
});

describe('event pattern: equals-ignore-case', () => {
  it('matches a string whatever its case', () => {
    const pattern = { detail: { name: [{ 'equals-ignore-case': 'alice' }] } };
    expect(matchesEventPattern(pattern, withDetail({ name: 'Alice' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ name: 'ALICE' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ name: 'Alicia' }))).toBe(false);
  });

  it('folds case character by character, as AWS does', () => {
    expect(matchesValue([{ 'equals-ignore-case': 'straße' }], 'STRASSE')).toBe(true);
    expect(matchesValue([{ 'equals-ignore-case': 'Ärger' }], 'äRGER')).toBe(true);
  });

  it('does not match non-strings', () => {
    expect(matchesValue([{ 'equals-ignore-case': 'true' }], true)).toBe(false);
  });
});

describe('event pattern: wildcard', () => {
  it('matches any run of characters, including none', () => {
    const pattern = { detail: { FilePath: [{ wildcard: 'dir/*.png' }] } };
    expect(matchesEventPattern(pattern, withDetail({ FilePath: 'dir/cat.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FilePath: 'dir/.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FilePath: 'dir/sub/cat.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FilePath: 'other/cat.png' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ FilePath: 'dir/cat.png.bak' }))).toBe(false);
  });

  it('matches with several wildcards', () => {
    const pattern = { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:*:123456789012:event-bus/*' }] } };
    const bus = (account: string) => withDetail({ EventBusArn: `arn:aws:events:us-east-1:${account}:event-bus/hitl` });
    expect(matchesEventPattern(pattern, bus('123456789012'))).toBe(true);
    expect(matchesEventPattern(pattern, bus('999999999999'))).toBe(false);
  });

  it('reads \\* as a literal star and \\\\ as a literal backslash', () => {
    const star = { detail: { glob: [{ wildcard: 'a\\*b' }] } };
    expect(matchesEventPattern(star, withDetail({ glob: 'a*b' }))).toBe(true);
    expect(matchesEventPattern(star, withDetail({ glob: 'axb' }))).toBe(false);
    expect(matchesValue([{ wildcard: 'C:\\\\*' }], 'C:\\temp')).toBe(true);
  });

  it('matches only the empty string with an empty wildcard', () => {
    expect(matchesValue([{ wildcard: '' }], '')).toBe(true);
    expect(matchesValue([{ wildcard: '' }], 'x')).toBe(false);
  });

  it('does not match non-strings', () => {
    expect(matchesValue([{ wildcard: '*' }], 404)).toBe(false);
  });
});

describe('event pattern: numeric', () => {
  it("matches the documentation's numeric pattern", () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matchesEventPattern(pattern, contentSample)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ ...contentSample.detail, 'd-count': 10 }))).toBe(false);
  });

  it.each([
    [['>', 0, '<=', 5], 0, false],
    [['>', 0, '<=', 5], 0.000001, true],
    [['>', 0, '<=', 5], 5, true],
    [['>', 0, '<=', 5], 5.000001, false],
    [['>=', 0, '<', 5], 0, true],
    [['>=', 0, '<', 5], 5, false],
    [['>=', 0, '<', 5], -0.5, false],
    [['<', -1], -1, false],
    [['<', -1], -1.5, true],
    [['<=', -1], -1, true],
    [['>', 1e9], 1e9 + 1, true],
    [['=', 5], 5.0, true],
    [['=', 5], 5.000001, false],
  ])('applies %j to %d: %s', (range, value, expected) => {
    expect(matchesValue([{ numeric: range }], value)).toBe(expected);
  });

  it('matches only numbers', () => {
    const pattern = { detail: { amount: [{ numeric: ['>', 0] }] } };
    expect(matchesEventPattern(pattern, withDetail({ amount: '5' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ amount: null }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ amount: true }))).toBe(false);
  });
});

describe('event pattern: exists', () => {
  it('matches a field that is present', () => {
    expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, ec2StateChange)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, ec2StateChange)).toBe(false);
  });

  it('matches a field that is missing with exists false', () => {
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: false }] } }, ec2StateChange)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: false }] } }, contentSample)).toBe(false);
  });

  it('looks only at leaf values: an object field counts as missing', () => {
    const event = withDetail({ state: 'running', 'c-count': { c1: 100 } });
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: false }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, event)).toBe(false);
  });

  it('counts a null value as present', () => {
    expect(matchesValue([{ exists: true }], null)).toBe(true);
  });

  it('combines with other values of the same field', () => {
    const pattern = { detail: { flower: [{ 'anything-but': ['roses'] }, { exists: false }] } };
    expect(matchesEventPattern(pattern, withDetail({}))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ flower: 'tulips' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ flower: 'roses' }))).toBe(false);
  });
});

describe('event pattern: cidr', () => {
  it.each([
    ['10.0.0.33', true],
    ['10.0.0.0', true],
    ['10.0.0.255', true],
    ['10.0.1.0', false],
    ['9.255.255.255', false],
  ])("matches the documentation's 10.0.0.0/24 against %s: %s", (address, expected) => {
    const pattern = { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } };
    expect(matchesEventPattern(pattern, withDetail({ 'source-ip': address }))).toBe(expected);
  });

  it('reads the block from its prefix, whatever the host bits', () => {
    expect(matchesValue([{ cidr: '10.0.0.77/24' }], '10.0.0.1')).toBe(true);
  });

  it('matches IPv6 addresses in any written form', () => {
    const pattern = { detail: { ip: [{ cidr: '2001:db8:1234:1a00::/64' }] } };
    expect(matchesEventPattern(pattern, withDetail({ ip: '2001:db8:1234:1a00::1' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ ip: '2001:0DB8:1234:1A00:0000:0000:0000:ffff' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ ip: '2001:db8:1234:1a01::1' }))).toBe(false);
  });

  it('does not match across address families', () => {
    expect(matchesValue([{ cidr: '10.0.0.0/8' }], '2001:db8::1')).toBe(false);
    expect(matchesValue([{ cidr: '::/0' }], '10.0.0.1')).toBe(false);
  });

  it('does not match values that are not addresses', () => {
    const pattern = { detail: { ip: [{ cidr: '10.0.0.0/24' }] } };
    expect(matchesEventPattern(pattern, withDetail({ ip: 'localhost' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ip: 123 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ip: '10.0.0.1/32' }))).toBe(false);
  });
});

describe('event pattern: anything-but', () => {
  it.each([
    ['a string', { 'anything-but': 'initializing' }, 'running', 'initializing'],
    ['a number', { 'anything-but': 123 }, 124, 123.0],
    ['a list of strings', { 'anything-but': ['stopped', 'overloaded'] }, 'running', 'overloaded'],
    ['a list of numbers', { 'anything-but': [100, 200, 300] }, 150, 200],
    ['a prefix', { 'anything-but': { prefix: 'init' } }, 'running', 'initializing'],
    ['a list of prefixes', { 'anything-but': { prefix: ['init', 'error'] } }, 'running', 'error-42'],
    ['a suffix', { 'anything-but': { suffix: '.png' } }, 'cat.jpg', 'cat.png'],
    [
      'a case-insensitive value',
      { 'anything-but': { 'equals-ignore-case': 'initializing' } },
      'running',
      'INITIALIZING',
    ],
    [
      'case-insensitive values',
      { 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } },
      'running',
      'overloaded',
    ],
    ['a wildcard', { 'anything-but': { wildcard: '*/lib/*' } }, '/usr/bin/ls', '/usr/lib/libc.so'],
    [
      'wildcards',
      { 'anything-but': { wildcard: ['*/bin/*.jar', '*/bin/*.class'] } },
      '/app/bin/run.sh',
      '/app/bin/A.class',
    ],
  ])('excludes %s', (_, operator, kept, excluded) => {
    const pattern = { detail: { value: [operator] } };
    expect(matchesEventPattern(pattern, withDetail({ value: kept }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ value: excluded }))).toBe(false);
  });

  it('does not match a missing field', () => {
    expect(matchesEventPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({}))).toBe(
      false,
    );
    expect(matchesEventPattern({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, withDetail({}))).toBe(
      false,
    );
  });

  it('matches values of another type than the excluded ones', () => {
    expect(matchesValue([{ 'anything-but': 'initializing' }], null)).toBe(true);
    expect(matchesValue([{ 'anything-but': [100, 200] }], '100')).toBe(true);
    expect(matchesValue([{ 'anything-but': { prefix: 'init' } }], 42)).toBe(true);
  });

  it('matches an event array holding any value not excluded', () => {
    const pattern = { detail: { limit: [{ 'anything-but': [100, 500] }] } };
    expect(matchesEventPattern(pattern, withDetail({ limit: [100, 50] }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ limit: [100, 500] }))).toBe(false);
  });

  it("matches the documentation's complex example", () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(matchesEventPattern(pattern, contentSample)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ ...contentSample.detail, 'x-limit': 300 }))).toBe(false);
  });
});

describe('event pattern: $or', () => {
  const alarm = { ...ec2StateChange, source: 'aws.cloudwatch', metricName: 'CPUUtilization', namespace: 'AWS/EC2' };

  it('matches when any alternative matches, together with the fields beside it', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matchesEventPattern(pattern, alarm)).toBe(true);
    expect(matchesEventPattern(pattern, { ...alarm, metricName: 'DiskReadOps' })).toBe(true);
    expect(matchesEventPattern(pattern, { ...alarm, metricName: 'DiskReadOps', namespace: 'AWS/RDS' })).toBe(false);
    expect(matchesEventPattern(pattern, { ...alarm, source: 'aws.ec2' })).toBe(false);
  });

  it('applies fields written after $or to every alternative', () => {
    const pattern = { $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/ES'] }], region: ['us-west-1'] };
    expect(matchesEventPattern(pattern, alarm)).toBe(true);
    expect(matchesEventPattern(pattern, { ...alarm, region: 'eu-west-1' })).toBe(false);
  });

  it('requires every field inside one alternative', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['ReadLatency'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2'] },
        { scope: ['Service'] },
      ],
    };
    expect(matchesEventPattern(pattern, { ...alarm, metricType: 'MetricType' })).toBe(true);
    expect(matchesEventPattern(pattern, alarm)).toBe(false);
  });

  it('nests $or inside an alternative', () => {
    const pattern = {
      $or: [
        { metricName: ['ReadLatency'] },
        { namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
      ],
    };
    expect(matchesEventPattern(pattern, { ...alarm, spaceId: 1000 })).toBe(true);
    expect(matchesEventPattern(pattern, { ...alarm, spaceId: 1001 })).toBe(false);
  });

  it('combines $or at different levels', () => {
    const pattern = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/ES'] }],
      detail: { $or: [{ state: ['terminated'] }, { 'instance-id': ['i-other'] }] },
    };
    expect(matchesEventPattern(pattern, alarm)).toBe(true);
    expect(matchesEventPattern(pattern, { ...alarm, detail: { state: 'running', 'instance-id': 'i-x' } })).toBe(false);
  });

  it('matches exists false inside an alternative', () => {
    const pattern = { $or: [{ detail: { reason: [{ exists: false }] } }, { detail: { reason: ['manual'] } }] };
    expect(matchesEventPattern(pattern, ec2StateChange)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ reason: 'automatic' }))).toBe(false);
  });
});

describe('event pattern: input', () => {
  it('accepts the pattern as a JSON string or as an object', () => {
    const pattern = { source: ['aws.ec2'] };
    expect(compileEventPattern(JSON.stringify(pattern)).matches(ec2StateChange)).toBe(true);
    expect(compileEventPattern(pattern).matches(ec2StateChange)).toBe(true);
  });

  it('reads an object pattern as its JSON, as AWS would receive it', () => {
    expect(matchesEventPattern({ source: ['aws.ec2'], ignored: undefined }, ec2StateChange)).toBe(true);
  });

  it('compiles once and matches many events', () => {
    const pattern = compileEventPattern({ detail: { state: ['terminated', 'stopped'] } });
    const states = ['terminated', 'stopped', 'running'];
    expect(states.map((state) => pattern.matches(withDetail({ state })))).toEqual([true, true, false]);
  });

  it.each([
    ['an empty prefix', { a: [{ prefix: '' }] }],
    ['a field named like an operator outside $or', { prefix: ['x'], numeric: [1] }],
    ['an anything-but over case-insensitive values', { a: [{ 'anything-but': { 'equals-ignore-case': ['x', 'y'] } }] }],
    ['an IPv6 block of every address', { a: [{ cidr: '::/0' }] }],
    ['a numeric bound beyond a billion', { a: [{ numeric: ['>=', -5e9, '<', 5e9] }] }],
    ['operators and exact values in one field', { a: ['x', 1, true, null, { prefix: 'y' }, { exists: false }] }],
  ])('accepts %s', (_, pattern) => {
    expect(() => compileEventPattern(pattern)).not.toThrow();
  });
});

describe('event pattern: validation', () => {
  it('throws InvalidEventPatternError named as AWS names the exception', () => {
    const error = refusal({ detail: { amount: [{ gt: 5 }] } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidEventPatternException');
    expect(error.message).toBe('detail.amount: unrecognized operator "gt"');
  });

  it.each<[string, string | object, string]>([
    ['text that is not JSON', 'this is not json', 'pattern is not valid JSON'],
    ['a JSON array', '["aws.ec2"]', 'pattern must be a JSON object'],
    ['JSON null', 'null', 'pattern must be a JSON object'],
    ['an empty pattern', {}, 'pattern: empty objects are not allowed'],
    ['an empty nested object', { detail: {} }, 'detail: empty objects are not allowed'],
    ['a leaf that is a string', { source: 'aws.ec2' }, 'source: must be an array'],
    ['a leaf that is a number', { detail: { int: 42 } }, 'detail.int: must be an array'],
    ['a leaf that is null', { source: null }, 'source: must be an array'],
    ['an empty leaf array', { resources: [] }, 'resources: empty arrays are not allowed'],
    ['a nested array as a value', { source: [['aws.ec2']] }, 'source: match values must be'],
    [
      'an operator object without a key',
      { source: [{}] },
      'source: an operator object must have exactly one key, found none',
    ],
    [
      'an operator object with two keys',
      { source: [{ prefix: 'a', suffix: 'b' }] },
      'exactly one key, found "prefix", "suffix"',
    ],
    ['an unknown operator', { detail: { amount: [{ gt: 5 }] } }, 'detail.amount: unrecognized operator "gt"'],
    ['an operator in the wrong case', { detail: { state: [{ EXISTS: true }] } }, 'unrecognized operator "EXISTS"'],
    ['a prefix that is a number', { time: [{ prefix: 123 }] }, 'time: prefix must be a string'],
    ['a prefix that is a list', { time: [{ prefix: ['2017'] }] }, 'time: prefix must be a string'],
    [
      'a prefix with another operator inside',
      { time: [{ prefix: { suffix: 'x' } }] },
      'prefix accepts a string or { "equals-ignore-case": string }',
    ],
    [
      'a case-insensitive prefix that is not a string',
      { time: [{ prefix: { 'equals-ignore-case': 5 } }] },
      'prefix equals-ignore-case must be a string',
    ],
    ['a suffix that is a list', { name: [{ suffix: ['.png'] }] }, 'name: suffix must be a string'],
    [
      'an equals-ignore-case that is a list',
      { name: [{ 'equals-ignore-case': ['x'] }] },
      'equals-ignore-case must be a string',
    ],
    [
      'an equals-ignore-case with an operator inside',
      { name: [{ 'equals-ignore-case': { prefix: 'ec2' } }] },
      'equals-ignore-case must be a string',
    ],
    ['a wildcard that is a number', { arn: [{ wildcard: 123 }] }, 'arn: wildcard must be a string'],
    ['a wildcard that is a list', { arn: [{ wildcard: ['*'] }] }, 'arn: wildcard must be a string'],
    ['consecutive wildcards', { arn: [{ wildcard: 'arn:aws:**:bus' }] }, 'consecutive "*" at position 8'],
    ['a wildcard escaping a letter', { path: [{ wildcard: 'a\\b' }] }, 'invalid escape at position 1'],
    ['a wildcard ending in a backslash', { path: [{ wildcard: 'a\\' }] }, 'invalid escape at position 1'],
    ['numeric that is not an array', { n: [{ numeric: 10 }] }, 'n: numeric must be an array'],
    ['an empty numeric', { n: [{ numeric: [] }] }, 'unrecognized numeric operator undefined'],
    ['numeric with an unknown operator', { n: [{ numeric: ['==', 5] }] }, 'unrecognized numeric operator "=="'],
    ['numeric starting with a number', { n: [{ numeric: [5, '>'] }] }, 'unrecognized numeric operator 5'],
    ['numeric without its number', { n: [{ numeric: ['>'] }] }, 'numeric ">" needs a number, found undefined'],
    ['numeric with a string operand', { n: [{ numeric: ['>', '0'] }] }, 'numeric ">" needs a number, found "0"'],
    ['two lower bounds', { n: [{ numeric: ['>', 0, '>', 0] }] }, 'lower bound must be followed by "<" or "<="'],
    ['an upper bound before a lower one', { n: [{ numeric: ['<', 10, '>', 0] }] }, 'numeric "<" takes a single number'],
    ['equality with a bound', { n: [{ numeric: ['=', 5, '<', 6] }] }, 'numeric "=" takes a single number'],
    ['a range without its upper number', { n: [{ numeric: ['>', 0, '<'] }] }, 'numeric "<" needs a number'],
    [
      'a range with a number for operator',
      { n: [{ numeric: ['>', 0, 5] }] },
      'lower bound must be followed by "<" or "<=", found 5',
    ],
    ['three conditions', { n: [{ numeric: ['>', 0, '<', 5, '<', 6] }] }, 'at most a lower and an upper bound'],
    ['an empty range', { n: [{ numeric: ['>', 5, '<', 5] }] }, 'numeric range is empty'],
    ['an inverted range', { n: [{ numeric: ['>=', 5, '<=', 1] }] }, 'numeric range is empty'],
    ['exists with a string', { n: [{ exists: 'true' }] }, 'n: exists must be true or false'],
    ['exists with null', { n: [{ exists: null }] }, 'exists must be true or false'],
    ['a cidr that is a list', { ip: [{ cidr: ['10.0.0.0/24'] }] }, 'ip: cidr must be a string'],
    ['a cidr without a mask', { ip: [{ cidr: '10.0.0.0' }] }, 'must have exactly one "/"'],
    ['a cidr with two masks', { ip: [{ cidr: '10.0.0.0/8/9' }] }, 'must have exactly one "/"'],
    ['a cidr with a word for mask', { ip: [{ cidr: 'bad-/64filter' }] }, 'mask bits must be a non-negative integer'],
    ['a cidr with a negative mask', { ip: [{ cidr: '10.0.0.0/-8' }] }, 'mask bits must be a non-negative integer'],
    ['a cidr with a bad IPv4 address', { ip: [{ cidr: 'xx.11.xx/8' }] }, 'has an invalid IP address'],
    ['a cidr with an out-of-range octet', { ip: [{ cidr: '10.0.0.256/24' }] }, 'has an invalid IP address'],
    ['a cidr with a bad IPv6 address', { ip: [{ cidr: 'xxxx:db8:1234:1a00::/64' }] }, 'has an invalid IP address'],
    ['an IPv4 mask of 33', { ip: [{ cidr: '192.168.0.1/33' }] }, 'mask bits must be at most 31'],
    ['an IPv4 mask of 32', { ip: [{ cidr: '192.168.0.1/32' }] }, 'mask bits must be at most 31'],
    ['an IPv6 mask of 129', { ip: [{ cidr: '2001:db8::/129' }] }, 'mask bits must be at most 127'],
    ['anything-but null', { s: [{ 'anything-but': null }] }, 's: anything-but must be a string, a number, a list'],
    ['anything-but true', { s: [{ 'anything-but': true }] }, 'anything-but must be a string, a number, a list'],
    ['an empty anything-but list', { s: [{ 'anything-but': [] }] }, 'anything-but list must not be empty'],
    ['anything-but mixing strings and numbers', { s: [{ 'anything-but': ['a', 1] }] }, 'only strings or only numbers'],
    [
      'anything-but with null in its list',
      { s: [{ 'anything-but': ['stopped', null] }] },
      'only strings or only numbers',
    ],
    [
      'anything-but with an empty object',
      { s: [{ 'anything-but': {} }] },
      'anything-but must have exactly one key, found none',
    ],
    [
      'anything-but with two operators',
      { s: [{ 'anything-but': { prefix: 'a', suffix: 'b' } }] },
      'anything-but must have exactly one key',
    ],
    [
      'a nested anything-but',
      { s: [{ 'anything-but': { 'anything-but': 'x' } }] },
      'anything-but does not accept "anything-but"',
    ],
    [
      'anything-but numeric',
      { s: [{ 'anything-but': { numeric: ['>', 1] } }] },
      'anything-but does not accept "numeric"',
    ],
    [
      'anything-but with an empty prefix',
      { s: [{ 'anything-but': { prefix: '' } }] },
      'anything-but prefix must not be empty',
    ],
    [
      'anything-but with an empty suffix in a list',
      { s: [{ 'anything-but': { suffix: ['.png', ''] } }] },
      'anything-but suffix must not be empty',
    ],
    [
      'anything-but with a numeric prefix',
      { s: [{ 'anything-but': { prefix: 123 } }] },
      'anything-but prefix must be a string or a list of strings',
    ],
    [
      'anything-but with a case-insensitive prefix',
      { s: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'x' } } }] },
      'anything-but prefix must be a string',
    ],
    [
      'anything-but ignoring case of a number',
      { s: [{ 'anything-but': { 'equals-ignore-case': ['a', 5] } }] },
      'anything-but equals-ignore-case must be a string',
    ],
    ['anything-but with consecutive wildcards', { s: [{ 'anything-but': { wildcard: 'a**' } }] }, 'consecutive "*"'],
    ['$or that is an object', { $or: { a: ['x'] } }, '$or: must be an array of at least two non-empty objects'],
    [
      '$or with one alternative',
      { detail: { $or: [{ a: ['x'] }] } },
      'detail.$or: must be an array of at least two non-empty objects',
    ],
    [
      '$or with a value that is not an object',
      { $or: [{ a: ['x'] }, 'b'] },
      '$or: must be an array of at least two non-empty objects',
    ],
    [
      '$or with an empty alternative',
      { $or: [{ a: ['x'] }, {}] },
      '$or: must be an array of at least two non-empty objects',
    ],
    [
      'an operator name as a field inside $or',
      { $or: [{ numeric: [1] }, { b: ['y'] }] },
      'numeric: "numeric" is an operator name',
    ],
    ['an invalid value inside $or', { $or: [{ a: ['x'] }, { b: [{ prefix: 1 }] }] }, 'b: prefix must be a string'],
  ])('refuses %s', (_, pattern, message) => {
    expect(refusal(pattern).message).toContain(message);
  });
});

describe('event pattern: properties', () => {
  const key = fc.string({ unit: fc.constantFrom(...'abcdexyz-_'), minLength: 1, maxLength: 6 });
  const scalar = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const { event } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(scalar, { maxLength: 3 }),
      tie('object'),
      fc.array(tie('object'), { minLength: 1, maxLength: 3 }),
    ),
    object: fc.dictionary(key, tie('value'), { minKeys: 1, maxKeys: 4 }),
    event: fc.record({ source: fc.string(), detail: tie('object') }),
  }));

  /** A pattern naming every value of the event, taking fields under an array of objects from its first element. */
  function patternOf(node: Record<string, unknown>): Record<string, unknown> {
    const pattern: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'object' && first !== null) {
        const nested = patternOf(first as Record<string, unknown>);
        if (Object.keys(nested).length > 0) pattern[name] = nested;
      } else if (Array.isArray(value)) {
        if (value.length > 0) pattern[name] = value;
      } else {
        pattern[name] = [value];
      }
    }
    return pattern;
  }

  it('matches an event with a pattern built from its own values', () => {
    fc.assert(
      fc.property(event, (sample) => {
        expect(matchesEventPattern(patternOf(sample as Record<string, unknown>), sample)).toBe(true);
      }),
    );
  });

  it('matches a string with any of its prefixes and suffixes, and excludes it with anything-but', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (text, cut) => {
        const at = cut % (text.length + 1);
        const sample = withDetail({ text });
        expect(matchesEventPattern({ detail: { text: [{ prefix: text.slice(0, at) }] } }, sample)).toBe(true);
        expect(matchesEventPattern({ detail: { text: [{ suffix: text.slice(at) }] } }, sample)).toBe(true);
        expect(matchesEventPattern({ detail: { text: [{ 'anything-but': text }] } }, sample)).toBe(false);
      }),
    );
  });

  it('matches ASCII text ignoring case exactly when the lower-cased texts are equal', () => {
    const ascii = fc.string({ unit: fc.constantFrom(...'aAbBzZ09-*'), maxLength: 6 });
    fc.assert(
      fc.property(ascii, ascii, (pattern, value) => {
        const expected = pattern.toLowerCase() === value.toLowerCase();
        expect(matchesValue([{ 'equals-ignore-case': pattern }], value)).toBe(expected);
      }),
    );
  });

  it('either compiles any JSON value or refuses it with InvalidEventPatternError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (pattern) => {
        try {
          compileEventPattern(JSON.stringify(pattern));
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventPatternError);
        }
      }),
    );
  });
});
