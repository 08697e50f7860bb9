// How the MCP gate turns a tool call into an action and back (cli/src/mcp/action.ts), how it splits its
// --upstream command line, and how the policy's `tools` section is checked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { actionFor, argumentsFrom, ToolCallRefused } from '../../cli/src/mcp/action.ts';
import { splitCommand, UsageError } from '../../cli/src/mcp/config.ts';
import { PolicyError } from '../../functions/domain/policy.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import { ROOT } from '../support/local.ts';
import { shippedPolicy } from '../support/policy.ts';

const placeOrder = { name: 'place_order', description: 'Places an order.\nMore text.' };
const mapping = { type: 'purchase_order', amount: 'order.total', currency: 'USD', target: 'vendor' };

function refusal(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ToolCallRefused) return e.problems;
    throw e;
  }
  throw new Error('not refused');
}

describe('a tool call as an action', () => {
  it('is of type mcp:<tool> with the arguments as payload when the policy maps nothing', () => {
    expect(actionFor({ name: 'send_email' }, { to: 'a@example.com' }, undefined)).toEqual({
      type: 'mcp:send_email',
      summary: 'MCP tool send_email',
      payload: { to: 'a@example.com' },
    });
  });

  it('takes type, amount and target where the mapping says, and the first line of the description', () => {
    const args = { vendor: 'acme', order: { total: 1234.5 } };
    expect(actionFor(placeOrder, args, mapping)).toEqual({
      type: 'purchase_order',
      summary: 'MCP tool place_order: Places an order.',
      amount: { value: 1234.5, currency: 'USD' },
      target: 'acme',
      payload: args,
    });
  });

  it('is classified by the shipped policy: place_order of $5,000 goes to a manager, an unknown tool to the default', () => {
    const ctx = { agentId: 'a', requestedBy: 'sam.rivera' };
    const po = actionFor(placeOrder, { vendor: 'acme', total: 5000 }, shippedPolicy.tools.place_order);
    expect(shippedPolicy.classify(po, ctx)).toMatchObject({ tier: 'medium', rule: 'purchase-order-manager' });
    const unknown = actionFor({ name: 'rm_rf' }, {}, shippedPolicy.tools.rm_rf);
    expect(shippedPolicy.classify(unknown, ctx)).toMatchObject({ tier: 'high', rule: 'default' });
  });

  it('names every argument that does not fit the mapping', () => {
    expect(refusal(() => actionFor(placeOrder, { order: { total: '12' } }, mapping))).toEqual([
      'arguments.order.total: must be an amount in USD, a number not negative with at most two decimals, not "12"',
      'arguments.vendor: is required (the policy maps it to the target)',
    ]);
    expect(refusal(() => actionFor(placeOrder, { vendor: '', order: {} }, mapping))).toEqual([
      'arguments.order.total: is required (the policy maps it to the amount)',
      'arguments.vendor: must be text that is not empty (the policy maps it to the target)',
    ]);
    expect(refusal(() => actionFor(placeOrder, { vendor: 'acme', order: { total: 1.005 } }, mapping))[0]).toMatch(
      /^arguments\.order\.total: must be an amount/,
    );
  });

  it('refuses what the action contract refuses, said of the argument', () => {
    const target = 'x'.repeat(513);
    expect(refusal(() => actionFor(placeOrder, { vendor: target, order: { total: 5 } }, mapping))).toEqual([
      'arguments.vendor: Too big: expected string to have <=512 characters',
    ]);
    expect(refusal(() => actionFor({ name: 'a'.repeat(129) }, {}, undefined))[0]).toMatch(/^action\.type: /);
  });

  it('gives back the approved payload, with an edited amount and target written at their argument paths', () => {
    const args = { vendor: 'acme', order: { total: 5000, lines: 2 } };
    const approved = { ...actionFor(placeOrder, args, mapping), amount: { value: 4000, currency: 'USD' } };
    expect(argumentsFrom({ ...approved, target: 'globex' }, mapping)).toEqual({
      vendor: 'globex',
      order: { total: 4000, lines: 2 },
    });
    expect(args.order.total).toBe(5000);
    expect(argumentsFrom({ type: 'mcp:x', summary: 's', payload: { body: 'edited' } }, undefined)).toEqual({
      body: 'edited',
    });
  });
});

describe('the --upstream command line', () => {
  it('splits words as a shell does', () => {
    expect(splitCommand(`node  "my server.ts" --name 'a b' c\\ d ""`)).toEqual([
      'node',
      'my server.ts',
      '--name',
      'a b',
      'c d',
      '',
    ]);
    expect(splitCommand('npx -y "@scope/server" --flag="x \\"y\\""')).toEqual([
      'npx',
      '-y',
      '@scope/server',
      '--flag=x "y"',
    ]);
  });

  it('refuses an unclosed quote and an empty command', () => {
    expect(() => splitCommand("node 'x")).toThrow(new UsageError("--upstream: the quote ' is not closed"));
    expect(() => splitCommand('   ')).toThrow(UsageError);
  });
});

describe("the policy's tools section", () => {
  const directory = readFileSync(join(ROOT, 'policy/directory.yml'), 'utf8');
  const base = () => ({
    version: '1',
    currencies: ['USD'],
    rules: [{ name: 'lookups', match: { type: ['mcp:get_order'] }, tier: 'low' }],
    default: { tier: 'high', steps: [{ roles: ['ops_admin'], sla: '4h' }] },
  });
  function problems(tools: unknown): readonly string[] {
    try {
      parsePolicy(stringify({ ...base(), tools }), directory, { policy: 'p.yml', directory: 'd.yml' });
    } catch (e) {
      if (e instanceof PolicyError) return e.problems;
      throw e;
    }
    return [];
  }

  it('loads a mapping and lets rules name mcp:<tool> types', () => {
    const policy = parsePolicy(stringify({ ...base(), tools: { place_order: mapping } }), directory);
    expect(policy.tools).toEqual({ place_order: mapping });
    expect(policy.classify({ type: 'mcp:get_order', summary: 's' }, { agentId: 'a', requestedBy: 'b' }).tier).toBe(
      'low',
    );
  });

  it('says what is wrong with each mapping', () => {
    expect(
      problems({
        'bad name!': {},
        a: { amount: 'total' },
        b: { currency: 'USD' },
        c: { target: 'not a path', typo: 1 },
        d: { type: 'Purchase' },
        e: { amount: 'x', currency: 'EUR' },
      }),
    ).toEqual([
      'p.yml: tools.c.target: "not a path" is not a path into the tool\'s arguments; write a name or dotted names such as order.total',
      'p.yml: tools.c.typo: unknown key; expected one of type, summary, amount, currency, target',
      'p.yml: tools.d.type: "Purchase" is not an action type; use snake_case such as purchase_order, or mcp:<tool name>',
      'p.yml: tools["bad name!"]: "bad name!" is not an MCP tool name; use letters, digits, _ - . (up to 128)',
      'p.yml: tools.a.currency: is required with amount: say the currency of the amount, e.g. currency: USD',
      'p.yml: tools.b.amount: is required with currency: name the argument that holds the amount, e.g. amount: total',
      'p.yml: tools.e.currency: unknown currency "EUR"; the policy knows USD (add it to currencies)',
    ]);
  });
});
