// Log Analytics side of regate's session recording (docs/recording.md):
// the custom table RegateTranscripts_CL, a data collection endpoint, a data collection rule with the
// stream declaration Custom-RegateTranscripts, and the Monitoring Metrics Publisher role on the rule
// for regate's managed identity. The columns match src/audit/columns.ts (a test keeps them equal).
//
//   az deployment group create -g <rg> -f deploy/azure/transcripts.bicep \
//     -p workspaceName=<workspace> regatePrincipalId=<managed identity object id>
//
// Outputs are the three values of regate's audit.log_analytics block: endpoint, rule_id, stream.

@description('Name of the existing Log Analytics workspace (same resource group).')
param workspaceName string

@description('Object (principal) id of regate\'s managed identity or service principal.')
param regatePrincipalId string

@description('Principal type of regatePrincipalId.')
@allowed(['ServicePrincipal', 'User', 'Group'])
param regatePrincipalType string = 'ServicePrincipal'

param location string = resourceGroup().location

@description('Name of the data collection endpoint.')
param dataCollectionEndpointName string = 'regate-dce'

@description('Name of the data collection rule.')
param dataCollectionRuleName string = 'regate-transcripts-dcr'

@description('Table plan. Analytics: full KQL, alerts and the access review. Basic/Auxiliary: cheaper, limited queries.')
@allowed(['Analytics', 'Basic', 'Auxiliary'])
param tablePlan string = 'Analytics'

@description('Interactive (analytics) retention in days: queries run fast over this window. 90 days covers a quarterly access review.')
@minValue(4)
@maxValue(730)
param retentionInDays int = 90

@description('Total retention in days (interactive + long-term). 365 keeps one year of transcripts for audits; raise it to what your regime requires (max 4383).')
@minValue(4)
@maxValue(4383)
param totalRetentionInDays int = 365

var tableName = 'RegateTranscripts_CL'
var streamName = 'Custom-RegateTranscripts'
// Monitoring Metrics Publisher: the role the Logs Ingestion API requires on the rule.
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

var eventColumns = [
  { name: 'event_id', type: 'string' }
  { name: 'time', type: 'datetime' }
  { name: 'session_id', type: 'string' }
  { name: 'connection', type: 'string' }
  { name: 'principal_id', type: 'string' }
  { name: 'principal_name', type: 'string' }
  { name: 'principal_type', type: 'string' }
  { name: 'tenant', type: 'string' }
  { name: 'kind', type: 'string' }
  { name: 'method', type: 'string' }
  { name: 'tool', type: 'string' }
  { name: 'arguments', type: 'dynamic' }
  { name: 'decision', type: 'string' }
  { name: 'rule', type: 'string' }
  { name: 'reason', type: 'string' }
  { name: 'bundle_revision', type: 'string' }
  { name: 'decision_id', type: 'string' }
  { name: 'approval_id', type: 'string' }
  { name: 'approver', type: 'string' }
  { name: 'justification', type: 'string' }
  { name: 'masked', type: 'dynamic' }
  { name: 'exposed', type: 'dynamic' }
  { name: 'content', type: 'dynamic' }
  { name: 'bytes', type: 'long' }
  { name: 'latency_ms', type: 'real' }
  { name: 'protocol_era', type: 'string' }
  { name: 'call_id', type: 'string' }
  { name: 'request_id', type: 'string' }
  { name: 'message_id', type: 'dynamic' }
  { name: 'direction', type: 'string' }
  { name: 'protocol_version', type: 'string' }
  { name: 'params', type: 'dynamic' }
  { name: 'principal_groups', type: 'dynamic' }
  { name: 'principal_roles', type: 'dynamic' }
  { name: 'principal_scopes', type: 'dynamic' }
  { name: 'principal_client_id', type: 'string' }
  { name: 'principal_issuer', type: 'string' }
  { name: 'connection_tags', type: 'dynamic' }
  { name: 'http_method', type: 'string' }
  { name: 'http_path', type: 'string' }
  { name: 'remote_addr', type: 'string' }
  { name: 'enforced', type: 'boolean' }
  { name: 'labels', type: 'dynamic' }
  { name: 'approvers', type: 'dynamic' }
  { name: 'approval_status', type: 'string' }
  { name: 'error_code', type: 'string' }
  { name: 'session_phase', type: 'string' }
  { name: 'truncated', type: 'dynamic' }
  { name: 'content_sha256', type: 'string' }
  { name: 'arguments_sha256', type: 'string' }
  { name: 'params_sha256', type: 'string' }
  { name: 'masks', type: 'dynamic' }
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource table 'Microsoft.OperationalInsights/workspaces/tables@2023-09-01' = {
  parent: workspace
  name: tableName
  properties: {
    plan: tablePlan
    retentionInDays: tablePlan == 'Analytics' ? retentionInDays : null
    totalRetentionInDays: totalRetentionInDays
    schema: {
      name: tableName
      description: 'regate MCP session transcripts: one row per request, decision, response, approval, error or session event'
      columns: concat([{ name: 'TimeGenerated', type: 'datetime' }], eventColumns)
    }
  }
}

resource dce 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = {
  name: dataCollectionEndpointName
  location: location
  properties: {
    networkAcls: { publicNetworkAccess: 'Enabled' }
  }
}

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dataCollectionRuleName
  location: location
  dependsOn: [table]
  properties: {
    dataCollectionEndpointId: dce.id
    streamDeclarations: {
      'Custom-RegateTranscripts': {
        columns: eventColumns
      }
    }
    destinations: {
      logAnalytics: [
        {
          name: 'workspace'
          workspaceResourceId: workspace.id
        }
      ]
    }
    dataFlows: [
      {
        streams: [streamName]
        destinations: ['workspace']
        // TimeGenerated is when regate built the event, not when it was ingested (a backlog after an outage keeps its times).
        transformKql: 'source | extend TimeGenerated = todatetime([\'time\'])'
        outputStream: 'Custom-${tableName}'
      }
    ]
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dcr.id, regatePrincipalId, monitoringMetricsPublisher)
  scope: dcr
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: regatePrincipalId
    principalType: regatePrincipalType
  }
}

@description('audit.log_analytics.endpoint')
output endpoint string = dce.properties.logsIngestion.endpoint

@description('audit.log_analytics.rule_id')
output rule_id string = dcr.properties.immutableId

@description('audit.log_analytics.stream')
output stream string = streamName
