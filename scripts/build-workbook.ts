/**
 * Builds deploy/azure/workbook.json, an ARM template of an Azure Monitor workbook that shows the
 * access-review queries of deploy/azure/queries/ (one table per query, all under one TimeRange
 * parameter), so reviewers who live in the portal see what `regate review` prints.
 *
 *   npx node scripts/build-workbook.ts        # rewrite the template after changing a query
 *
 * test/unit/audit/kql-queries.test.ts checks the template carries each query unchanged.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '../deploy/azure');
const queries = readdirSync(join(dir, 'queries'))
  .filter((f) => f.endsWith('.kql'))
  .sort();

const items: unknown[] = [
  {
    type: 1,
    content: { json: '## regate access review\nWho used which MCP connection, what was denied, who approved what, what was masked or exposed. Same figures as `regate review`; open a session with `regate replay <session_id>`.' },
    name: 'title',
  },
  {
    type: 9,
    content: {
      version: 'KqlParameterItem/1.0',
      parameters: [
        {
          id: '6f1d3c1e-4a4b-4f7e-9a57-3b1f2f4c2a10',
          version: 'KqlParameterItem/1.0',
          name: 'TimeRange',
          label: 'Review period',
          type: 4,
          isRequired: true,
          value: { durationMs: 7776000000 },
          typeSettings: { selectableValues: [{ durationMs: 86400000 }, { durationMs: 604800000 }, { durationMs: 2592000000 }, { durationMs: 7776000000 }], allowCustom: true },
        },
      ],
      style: 'pills',
      queryType: 0,
      resourceType: 'microsoft.operationalinsights/workspaces',
    },
    name: 'parameters',
  },
];
for (const f of queries) {
  const query = readFileSync(join(dir, 'queries', f), 'utf8');
  // The first comment line, up to its colon, is the query's title.
  const title = (/^\/\/ ([^:\n]+)/.exec(query)?.[1] ?? f).trim();
  items.push({
    type: 3,
    content: {
      version: 'KqlItem/1.0',
      query,
      size: 0,
      title,
      timeContextFromParameter: 'TimeRange',
      queryType: 0,
      resourceType: 'microsoft.operationalinsights/workspaces',
      visualization: 'table',
    },
    name: f.replace(/\.kql$/, ''),
  });
}

const serializedData = JSON.stringify({
  version: 'Notebook/1.0',
  items,
  fallbackResourceIds: [],
  $schema: 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json',
});

const template = {
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  contentVersion: '1.0.0.0',
  parameters: {
    workbookDisplayName: { type: 'string', defaultValue: 'regate access review' },
    workspaceResourceId: { type: 'string', metadata: { description: 'Resource id of the Log Analytics workspace holding RegateTranscripts_CL' } },
    workbookId: { type: 'string', defaultValue: '[newGuid()]' },
  },
  resources: [
    {
      type: 'Microsoft.Insights/workbooks',
      apiVersion: '2022-04-01',
      name: "[parameters('workbookId')]",
      location: '[resourceGroup().location]',
      kind: 'shared',
      properties: { displayName: "[parameters('workbookDisplayName')]", serializedData, version: '1.0', sourceId: "[parameters('workspaceResourceId')]", category: 'workbook' },
    },
  ],
  outputs: { workbookId: { type: 'string', value: "[resourceId('Microsoft.Insights/workbooks', parameters('workbookId'))]" } },
};
writeFileSync(join(dir, 'workbook.json'), `${JSON.stringify(template, null, 2)}\n`);
console.log(`build-workbook: wrote deploy/azure/workbook.json with ${queries.length} queries`);
