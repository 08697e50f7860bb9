import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ActionProposed, DetailType, describeIssues } from '../../events/index.ts';
import { DETAIL_SCHEMAS, jsonSchemaOf, schemaFileName } from '../../events/schemas.ts';
import { proposal } from '../support/proposals.ts';

const problems = (detail: unknown) => {
  const parsed = ActionProposed.safeParse(detail);
  return parsed.success ? [] : describeIssues(parsed.error);
};

describe('Action Proposed contract', () => {
  it('accepts the documented example', () => {
    expect(
      problems({
        proposalId: 'po-1',
        agentId: 'procurement-agent',
        requestedBy: 'sam.rivera',
        action: { type: 'purchase_order', summary: 'Laptops', amount: { value: 5000, currency: 'USD' } },
      }),
    ).toEqual([]);
  });

  it('names the path and the problem of every invalid field', () => {
    expect(
      problems({
        proposalId: '',
        agentId: 'a',
        requestedBy: 'b',
        action: { type: 'Purchase Order', summary: 'x', amount: { value: 1, currency: 'dollars' } },
      }),
    ).toEqual([
      'proposalId: must not be empty',
      'action.type: must be snake_case, e.g. "purchase_order", or mcp:<tool name>',
      'action.amount.currency: must be a three-letter ISO 4217 code such as "USD"',
    ]);
  });

  it('refuses negative amounts and fractions of a cent', () => {
    expect(problems(proposal({ action: { amount: { value: -0.01, currency: 'USD' } } }))).toEqual([
      'action.amount.value: must not be negative',
    ]);
    expect(problems(proposal({ action: { amount: { value: 999.999, currency: 'USD' } } }))).toEqual([
      'action.amount.value: must have at most two decimal places',
    ]);
  });

  it('refuses unknown fields instead of dropping them silently', () => {
    expect(problems({ ...proposal(), approvedBy: 'me' })).toEqual([expect.stringContaining('approvedBy')]);
  });

  it("accepts a durable function's callback id, and refuses one that is not Lambda's shape or comes with a task token", () => {
    const durableCallbackId = Buffer.from('{"executionId":"e","operationId":"o"}').toString('base64');
    expect(problems(proposal({ callback: { durableCallbackId } }))).toEqual([]);
    expect(problems(proposal({ callback: { durableCallbackId: 'not base64!' } }))).toEqual([
      'callback.durableCallbackId: must be the callback id context.waitForCallback gave, unchanged (base64)',
    ]);
    expect(problems(proposal({ callback: { durableCallbackId: 'A'.repeat(1025) } }))).toEqual([
      'callback.durableCallbackId: must be at most 1024 characters',
    ]);
    expect(problems({ ...proposal(), callback: { taskToken: 't' } })).toEqual([
      'callback.durableCallbackId: Invalid input: expected string, received undefined',
      'callback: Unrecognized key: "taskToken"',
    ]);
    expect(problems(proposal({ taskToken: 'token-1', callback: { durableCallbackId } }))).toEqual([
      'callback: give either taskToken (a Standard workflow) or callback.durableCallbackId (a durable function), not both: one caller waits for a review',
    ]);
  });

  it('accepts every amount in whole cents up to the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000_000_000 }), (cents) => {
        expect(problems(proposal({ action: { amount: { value: cents / 100, currency: 'USD' } } }))).toEqual([]);
      }),
    );
  });
});

describe('JSON Schema export', () => {
  it('covers every detail type hitl-gate publishes or reads', () => {
    const exported = DETAIL_SCHEMAS.map((s) => s.detailType).sort();
    const names = Object.values(DetailType).sort();
    expect(exported).toEqual(names);
  });

  it('matches the schemas committed in events/schemas (run `npm run schemas` after changing a contract)', () => {
    for (const entry of DETAIL_SCHEMAS) {
      const committed = JSON.parse(
        readFileSync(join(import.meta.dirname, '../../events/schemas', schemaFileName(entry.detailType)), 'utf8'),
      );
      expect(committed).toEqual(jsonSchemaOf(entry));
    }
  });
});

describe('text that is not valid Unicode', () => {
  const lone = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff');
  it('refuses a lone surrogate anywhere in a proposal as invalid, with its path, and never throws', () => {
    fc.assert(
      fc.property(
        fc.string(),
        lone,
        fc.string(),
        fc.constantFrom('summary', 'target', 'payload', 'payloadKey', 'context', 'requestedBy'),
        (before, surrogate, after, where) => {
          const text = `${before}${surrogate}${after}`;
          const action: Record<string, unknown> = { type: 'purchase_order', summary: 'Laptops' };
          const detail: Record<string, unknown> = { proposalId: 'p-1', agentId: 'agent', requestedBy: 'sam', action };
          if (where === 'summary' || where === 'target') action[where] = `x${text}`;
          else if (where === 'payload') action.payload = { lines: [{ note: text }] };
          else if (where === 'payloadKey') action.payload = { [`k${text}`]: 1 };
          else if (where === 'context') detail.context = { note: text };
          else detail.requestedBy = `x${text}`;
          const parsed = ActionProposed.safeParse(detail);
          expect(parsed.success).toBe(false);
          expect(describeIssues(parsed.error as never).join('\n')).toMatch(/must be valid Unicode text/);
        },
      ),
    );
  });
});
