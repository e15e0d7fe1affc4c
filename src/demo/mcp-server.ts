/**
 * The demo upstream's MCP surface: a small CRM with read tools, an idempotent write, a destructive
 * delete and a bulk PII export, plus customer resources and a summary prompt. Each MCP session
 * gets its own McpServer (the SDK binds one server to one transport); all share one store.
 *
 * Output schemas keep PII fields as plain strings (no `format: email`, no card patterns) on
 * purpose: once regate masks `jane@example.com` to `[REDACTED]` the client still validates the
 * structuredContent against the schema, and a format constraint would turn masking into an error.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpError, ErrorCode, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { TIERS, type Customer } from './customers.ts';
import type { CustomerStore } from './customer-store.ts';
import { customersToCsv } from './csv.ts';

export const DEMO_SERVER_NAME = 'regate-demo-crm';
export const DEMO_SERVER_VERSION = '1.0.0';

/** MCP's "resource not found" error code (spec: server/resources, Error Handling). */
const RESOURCE_NOT_FOUND = -32002;

const customerSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string(),
  card_number: z.string(),
  iban: z.string(),
  address: z.string(),
  country: z.string(),
  tier: z.enum(TIERS),
  notes: z.string(),
  created_at: z.string(),
});

// A fresh schema per use: completable() marks the schema object itself, and marking it twice throws.
const customerId = () => z.string().min(1).describe('Customer id, e.g. "cus_007"');

const readme = (count: number): string => `# regate demo CRM

This MCP server plays a customer-relationship system that holds personal data: names, emails,
phone numbers, card numbers, IBANs and postal addresses of ${count} fictional customers.

It sits behind regate. Agents never hold this server's credential: regate adds it to each
request after the policy has allowed the call, and can mask what comes back.

Tools:
- list_customers, get_customer, search_customers (read only)
- update_customer_tier (write, idempotent)
- delete_customer (destructive)
- export_customers_csv (bulk export of every field)

Resources: customers://{id} (one customer as JSON), demo://readme (this file).
Prompt: summarize_customer {id}.

All data is generated: card numbers come from payment-sandbox test ranges, phone numbers from
ranges reserved for fiction, emails from the reserved example.* domains.
`;

/** Wraps structured data as a tool result with the same data as JSON text (for older clients). */
function result(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured, null, 2) }], structuredContent: structured };
}

/** A tool error an agent can act on: says what was wrong and what to do instead. */
function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

const unknownCustomer = (id: string) =>
  toolError(`No customer has id "${id}". Use search_customers or list_customers to find the right id.`);

/** Builds one session's McpServer over the shared customer store. */
export function createDemoMcpServer(store: CustomerStore): McpServer {
  const server = new McpServer(
    { name: DEMO_SERVER_NAME, title: 'regate demo CRM', version: DEMO_SERVER_VERSION },
    {
      instructions:
        'A CRM holding customer personal data. Prefer search_customers or get_customer over bulk tools; ' +
        'delete_customer is irreversible.',
    },
  );

  server.registerTool(
    'list_customers',
    {
      title: 'List customers',
      description: 'Lists customers in id order, one page at a time. Use next_offset to fetch the next page.',
      inputSchema: {
        limit: z.number().int().min(1).max(100).default(10).describe('Page size (1-100)'),
        offset: z.number().int().min(0).default(0).describe('Index of the first customer to return'),
      },
      outputSchema: {
        customers: z.array(customerSchema),
        total: z.number().int(),
        next_offset: z.number().int().nullable(),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ limit, offset }) => result({ ...store.list(offset, limit) }),
  );

  server.registerTool(
    'get_customer',
    {
      title: 'Get customer',
      description: 'Returns one customer record, including contact and payment details.',
      inputSchema: { id: customerId() },
      outputSchema: { customer: customerSchema },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ id }) => {
      const customer = store.get(id);
      return customer ? result({ customer }) : unknownCustomer(id);
    },
  );

  server.registerTool(
    'search_customers',
    {
      title: 'Search customers',
      description:
        'Finds customers whose id, name, email, address, country, tier or notes contain every word of the query.',
      inputSchema: {
        query: z.string().min(1).describe('Words to look for, e.g. "gold berlin"'),
        limit: z.number().int().min(1).max(50).default(10).describe('Maximum number of customers to return'),
      },
      outputSchema: { customers: z.array(customerSchema), total: z.number().int() },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ query, limit }) => result({ ...store.search(query, limit) }),
  );

  server.registerTool(
    'update_customer_tier',
    {
      title: 'Update customer tier',
      description: 'Sets a customer\'s loyalty tier. Setting the tier a customer already has changes nothing.',
      inputSchema: { id: customerId(), tier: z.enum(TIERS).describe('New tier') },
      outputSchema: { customer: customerSchema, previous_tier: z.enum(TIERS) },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ id, tier }) => {
      const change = store.updateTier(id, tier);
      return change ? result({ ...change }) : unknownCustomer(id);
    },
  );

  server.registerTool(
    'delete_customer',
    {
      title: 'Delete customer',
      description: 'Permanently deletes a customer and returns the deleted record. This cannot be undone.',
      inputSchema: { id: customerId() },
      outputSchema: { customer: customerSchema, deleted: z.literal(true) },
      // Deleting twice has no further effect (the second call reports the id as unknown).
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ id }) => {
      const customer = store.delete(id);
      return customer ? result({ customer, deleted: true }) : unknownCustomer(id);
    },
  );

  server.registerTool(
    'export_customers_csv',
    {
      title: 'Export customers as CSV',
      description: 'Exports every field of every customer (optionally one tier) as CSV text.',
      inputSchema: { tier: z.enum(TIERS).optional().describe('Only export customers of this tier') },
      outputSchema: { format: z.literal('text/csv'), rows: z.number().int(), csv: z.string() },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ tier }) => {
      const customers = store.all(tier);
      const csv = customersToCsv(customers);
      // The text content is the raw CSV (what a human or a spreadsheet wants), not JSON.
      return {
        content: [{ type: 'text', text: csv }],
        structuredContent: { format: 'text/csv', rows: customers.length, csv },
      };
    },
  );

  server.registerResource(
    'customer',
    new ResourceTemplate('customers://{id}', {
      list: () => ({
        resources: store.all().map((c) => ({
          uri: `customers://${c.id}`,
          name: c.id,
          title: c.name,
          mimeType: 'application/json',
        })),
      }),
      complete: { id: (prefix) => store.all().map((c) => c.id).filter((id) => id.startsWith(prefix)) },
    }),
    { title: 'Customer record', description: 'One customer as JSON', mimeType: 'application/json' },
    (uri, variables) => {
      const id = String(variables['id'] ?? '');
      const customer = store.get(id);
      if (!customer) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri.href}`, { uri: uri.href });
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(customer, null, 2) }] };
    },
  );

  server.registerResource(
    'readme',
    'demo://readme',
    { title: 'About the demo CRM', description: 'What this server is and what it holds', mimeType: 'text/markdown' },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/markdown', text: readme(store.size) }],
    }),
  );

  server.registerPrompt(
    'summarize_customer',
    {
      title: 'Summarize customer',
      description: 'Asks the model for an account-review summary of one customer, with the record attached.',
      argsSchema: {
        id: completable(customerId(), (prefix) => store.all().map((c) => c.id).filter((id) => id.startsWith(prefix))),
      },
    },
    ({ id }) => {
      const customer: Customer | undefined = store.get(id);
      if (!customer) throw new McpError(ErrorCode.InvalidParams, `No customer has id "${id}"`);
      return {
        description: `Account summary for ${customer.id}`,
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text:
                `Summarize customer ${customer.id} for an account review: tier, tenure, open issues from the notes, ` +
                'and any risk. Do not repeat card numbers or IBANs in the summary.',
            },
          },
          {
            role: 'user',
            content: {
              type: 'resource',
              resource: {
                uri: `customers://${customer.id}`,
                mimeType: 'application/json',
                text: JSON.stringify(customer, null, 2),
              },
            },
          },
        ],
      };
    },
  );

  return server;
}
