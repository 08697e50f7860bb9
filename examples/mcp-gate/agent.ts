// An agent whose tools come from an MCP server, behind hitl-gate's MCP gate: `npm start` in one terminal, then
//   node examples/mcp-gate/agent.ts [total]
// and approve (or edit, or reject) the order from the email in the outbox (http://localhost:3000/_local/outbox).
// The agent's code knows nothing of hitl-gate: only the command that starts its MCP server changed.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const endpoint = process.env.HITL_LOCAL_URL ?? 'http://localhost:3000';
const shop = new StdioClientTransport({
  command: 'npx',
  args: ['hitl-gate', 'mcp-gate', '--upstream', 'node examples/mcp-gate/shop-server.ts', '--endpoint', endpoint],
  env: { ...(process.env as Record<string, string>), HITL_REQUESTED_BY: 'sam.rivera' },
  stderr: 'ignore',
});
const client = new Client({ name: 'example-mcp-agent', version: '1.0.0' });
await client.connect(shop);

const total = Number(process.argv[2] ?? 5000);
console.log(`tools: ${(await client.listTools()).tools.map((t) => t.name).join(', ')}`);
console.log(`placing an order of USD ${total}; decide it from the outbox`);
const result = (await client.callTool(
  { name: 'place_order', arguments: { vendor: 'acme', items: '12 laptops', total } },
  undefined,
  // A review takes a person's time: keep the request alive while the gate reports progress.
  { onprogress: (p) => console.error(`waiting: ${p.message}`), resetTimeoutOnProgress: true, timeout: 600_000 },
)) as CallToolResult;
const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
console.log(result.isError ? `not ordered: ${text}` : text);
process.exitCode = result.isError ? 2 : 0;
await client.close();
