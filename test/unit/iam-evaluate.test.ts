import fc from 'fast-check';
import { evaluate, wildcard, UnsupportedCondition, type Grant, type Statement } from '../../local/iam/evaluate.ts';

const grant = (statement: Statement, id = 'g'): Grant => ({ id, statement });
const TABLE = 'arn:aws:dynamodb:eu-west-1:000000000000:table/hitl-gate-dev-reviews';

describe('IAM policy evaluation', () => {
  it('allows an action on a resource a statement names, and nothing else (the implicit deny)', () => {
    const grants = [grant({ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: TABLE })];
    expect(evaluate(grants, { action: 'dynamodb:GetItem', resource: TABLE })).toMatchObject({ allowed: true });
    expect(evaluate(grants, { action: 'dynamodb:PutItem', resource: TABLE })).toEqual({
      allowed: false,
      reason: 'no-allow',
    });
    expect(evaluate(grants, { action: 'dynamodb:GetItem', resource: `${TABLE}-other` })).toEqual({
      allowed: false,
      reason: 'no-allow',
    });
    expect(evaluate(grants, { action: 'dynamodb:GetItem', resource: `${TABLE}/index/due` })).toEqual({
      allowed: false,
      reason: 'no-allow',
    });
  });

  it('matches actions case-insensitively and resources exactly, with * and ? wildcards', () => {
    expect(
      evaluate([grant({ Effect: 'Allow', Action: 'DynamoDB:get*', Resource: `${TABLE}/index/*` })], {
        action: 'dynamodb:GetItem',
        resource: `${TABLE}/index/due`,
      }),
    ).toMatchObject({ allowed: true });
    expect(wildcard('arn:aws:s3:::bucket/?', 'arn:aws:s3:::bucket/a')).toBe(true);
    expect(wildcard('arn:aws:s3:::bucket/?', 'arn:aws:s3:::bucket/ab')).toBe(false);
    expect(wildcard('arn:aws:s3:::Bucket', 'arn:aws:s3:::bucket')).toBe(false);
    expect(wildcard('a.b', 'axb')).toBe(false);
  });

  it('lets an explicit Deny win over any Allow', () => {
    const grants = [
      grant({ Effect: 'Allow', Action: '*', Resource: '*' }, 'admin'),
      grant(
        {
          Effect: 'Deny',
          Action: 'events:PutEvents',
          Resource: '*',
          Condition: { StringLike: { 'events:source': 'hitl.*' } },
        },
        'bus',
      ),
    ];
    expect(
      evaluate(grants, { action: 'events:PutEvents', resource: 'x', context: { 'events:source': 'hitl.gate' } }),
    ).toMatchObject({ allowed: false, reason: 'explicit-deny', by: { id: 'bus' } });
    expect(
      evaluate(grants, { action: 'events:PutEvents', resource: 'x', context: { 'events:source': 'agent.po' } }),
    ).toMatchObject({ allowed: true, by: { id: 'admin' } });
  });

  it('evaluates NotAction and NotResource as their complements', () => {
    const grants = [grant({ Effect: 'Allow', NotAction: 'iam:*', NotResource: 'arn:aws:secret' })];
    expect(evaluate(grants, { action: 'dynamodb:GetItem', resource: TABLE }).allowed).toBe(true);
    expect(evaluate(grants, { action: 'iam:CreateUser', resource: TABLE }).allowed).toBe(false);
    expect(evaluate(grants, { action: 'dynamodb:GetItem', resource: 'arn:aws:secret' }).allowed).toBe(false);
  });

  it('requires every condition of a statement, and a negated operator to hold against every value given', () => {
    const s: Statement = {
      Effect: 'Allow',
      Action: 'ses:SendEmail',
      Resource: '*',
      Condition: {
        StringEquals: { 'ses:FromAddress': 'hitl-gate@example.com' },
        StringNotEquals: { 'ses:Recipients': ['a@x', 'b@x'] },
      },
    };
    expect(
      evaluate([grant(s)], {
        action: 'ses:SendEmail',
        resource: 'i',
        context: { 'ses:FromAddress': 'hitl-gate@example.com', 'ses:Recipients': 'c@x' },
      }).allowed,
    ).toBe(true);
    expect(
      evaluate([grant(s)], {
        action: 'ses:SendEmail',
        resource: 'i',
        context: { 'ses:FromAddress': 'hitl-gate@example.com', 'ses:Recipients': 'b@x' },
      }).allowed,
    ).toBe(false);
    expect(
      evaluate([grant(s)], {
        action: 'ses:SendEmail',
        resource: 'i',
        context: { 'ses:FromAddress': 'mallory@example.com', 'ses:Recipients': 'c@x' },
      }).allowed,
    ).toBe(false);
    // A missing key fails a condition, unless the operator ends in IfExists.
    expect(evaluate([grant(s)], { action: 'ses:SendEmail', resource: 'i' }).allowed).toBe(false);
    expect(
      evaluate([grant({ ...s, Condition: { StringEqualsIfExists: { 'ses:FromAddress': 'x' } } })], {
        action: 'ses:SendEmail',
        resource: 'i',
      }).allowed,
    ).toBe(true);
  });

  it('compares ARNs with ArnLike / ArnNotEquals, and tests presence with Null', () => {
    const deny = grant({
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: {
        ArnNotEquals: { 'aws:PrincipalArn': ['arn:aws:iam::1:role/sweep', 'arn:aws:iam::1:role/escalate'] },
      },
    });
    const allow = grant({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: {
        ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:1:rule/hitl-dev/*' },
        Null: { 'aws:SourceArn': 'false' },
      },
    });
    expect(
      evaluate([deny, allow], {
        action: 'a:b',
        resource: 'r',
        context: {
          'aws:PrincipalArn': 'arn:aws:iam::1:role/sweep',
          'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/hitl-dev/x',
        },
      }).allowed,
    ).toBe(true);
    expect(
      evaluate([deny, allow], {
        action: 'a:b',
        resource: 'r',
        context: {
          'aws:PrincipalArn': 'arn:aws:iam::1:role/agent',
          'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/hitl-dev/x',
        },
      }),
    ).toMatchObject({ reason: 'explicit-deny' });
    expect(evaluate([allow], { action: 'a:b', resource: 'r', context: {} }).allowed).toBe(false);
  });

  it('refuses to guess an operator it does not know, rather than allow what AWS may refuse', () => {
    expect(() =>
      evaluate(
        [
          grant({
            Effect: 'Allow',
            Action: '*',
            Resource: '*',
            Condition: { DateGreaterThan: { 'aws:CurrentTime': '2026-01-01' } },
          }),
        ],
        { action: 'a:b', resource: 'r' },
      ),
    ).toThrow(UnsupportedCondition);
  });

  it('never allows what a matching Deny names, whatever else is granted (property)', () => {
    const token = fc.stringMatching(/^[a-z]{1,6}$/);
    fc.assert(
      fc.property(
        token,
        token,
        token,
        fc.array(fc.tuple(token, token), { maxLength: 5 }),
        (service, op, resource, others) => {
          const action = `${service}:${op}`;
          const grants = [
            ...others.map(([s, o], i) => grant({ Effect: 'Allow', Action: `${s}:${o}`, Resource: '*' }, `a${i}`)),
            grant({ Effect: 'Allow', Action: '*', Resource: '*' }),
            grant({ Effect: 'Deny', Action: action, Resource: resource }),
          ];
          expect(evaluate(grants, { action, resource }).allowed).toBe(false);
          // And the wildcard Allow still allows any other resource.
          expect(evaluate(grants, { action, resource: `${resource}x` }).allowed).toBe(true);
        },
      ),
    );
  });
});
