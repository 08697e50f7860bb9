// A small shop as an MCP server (stdio): the tools an agent would use, with no approval of their own.
// hitl-gate's MCP gate stands in front of it (see README.md); policy/default.yml maps its tools.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as z from 'zod';

const server = new McpServer({ name: 'example-shop', version: '1.0.0' });

server.registerTool(
  'place_order',
  {
    description: 'Places a purchase order with a vendor; the total is in US dollars.',
    inputSchema: { vendor: z.string(), items: z.string(), total: z.number().nonnegative() },
  },
  async ({ vendor, items, total }) => ({
    content: [{ type: 'text', text: `ordered ${items} from ${vendor} for USD ${total.toLocaleString('en-US')}` }],
  }),
);

server.registerTool(
  'set_ticket_priority',
  {
    description: 'Sets the priority of a support ticket.',
    inputSchema: { ticket: z.string(), priority: z.enum(['low', 'normal', 'high', 'urgent']) },
  },
  async ({ ticket, priority }) => ({ content: [{ type: 'text', text: `ticket ${ticket} is now ${priority}` }] }),
);

await server.connect(new StdioServerTransport());
