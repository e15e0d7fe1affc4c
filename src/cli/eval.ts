import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.ts';
import { RegateError } from '../errors.ts';
import type { Principal } from '../identity/principal.ts';
import { policyRuntimeOptions } from '../policy/config.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { buildPolicyInput, timeInput, type PolicyInput } from '../policy/input.ts';
import { PolicyManager } from '../policy/manager.ts';
import { describeMasks } from '../masking/describe.ts';

/**
 * `regate eval`: a dry run of the configured policy on one input, printed as JSON. The input file
 * is either a policy input (it has `mcp`) or a recorded transcript event (it has `kind` and
 * `method`), which is turned into the input the gateway would have built for it.
 */
export async function evalCommand(
  config: Config,
  baseDir: string,
  inputFile: string,
  overrides: { groups?: readonly string[] },
): Promise<Record<string, unknown>> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(inputFile, 'utf8'));
  } catch (err) {
    throw new RegateError('REGATE_ERR_CONFIG_READ', `--input ${inputFile}: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new RegateError('REGATE_ERR_INVALID_REQUEST', `--input ${inputFile}: expected a JSON object`);
  }
  const input = toPolicyInput(doc as Record<string, unknown>, config, overrides);
  const runtime = await policyRuntimeOptions(config.policy, baseDir);
  const manager = new PolicyManager({
    source: runtime.source,
    engine: runtime.engine,
    maxBundleBytes: runtime.maxBundleBytes,
    ...(runtime.verification ? { verification: runtime.verification } : {}),
  });
  await manager.start();
  try {
    // Without a bundle every decision is the same fail-closed deny; say why instead.
    if (manager.current() === undefined) throw new RegateError('REGATE_ERR_POLICY_NOT_READY', manager.status().message);
    const d: PolicyDecision = manager.evaluate(input);
    return {
      decision: d.outcome,
      allow: d.allow,
      rule: d.rule,
      reason: d.reason,
      revision: d.revision,
      decision_id: d.decision_id,
      ...(d.approval ? { approval: d.approval } : {}),
      ...(d.mask ? { mask: d.mask } : {}),
      // What the gateway would mask in the answers (and whether it could: otherwise it masks everything).
      ...(d.mask ? { masks: describeMasks(d.mask) } : {}),
      ...(d.audit ? { audit: d.audit } : {}),
      ...(d.error ? { error: d.error } : {}),
      input,
    };
  } finally {
    await manager.stop(1000);
  }
}

/** A policy input as given (time filled in when missing), or one rebuilt from a transcript event. */
export function toPolicyInput(doc: Record<string, unknown>, config: Config, overrides: { groups?: readonly string[] }): PolicyInput {
  if ('mcp' in doc) {
    const given = doc as unknown as PolicyInput;
    const principal = given.principal && overrides.groups ? { ...given.principal, groups: overrides.groups } : given.principal;
    return { ...given, ...(principal ? { principal } : {}), time: given.time ?? timeInput(new Date()) };
  }
  if (typeof doc.kind !== 'string' || typeof doc.method !== 'string') {
    throw new RegateError('REGATE_ERR_INVALID_REQUEST', 'input is neither a policy input (no "mcp") nor a transcript event (no "kind"/"method")');
  }
  const str = (k: string) => (typeof doc[k] === 'string' ? (doc[k] as string) : '');
  const connection = config.connections.find((c) => c.name === str('connection'));
  const principal: Principal = {
    type: str('principal_type') === 'app' ? 'app' : 'user',
    id: str('principal_id'),
    name: str('principal_name'),
    tenant: str('tenant'),
    groups: overrides.groups ?? [],
    roles: [],
    scopes: [],
    client_id: '',
    issuer: '',
    expires_at: 0,
  };
  const params: Record<string, unknown> =
    doc.method === 'tools/call' ? { name: str('tool'), arguments: doc.arguments ?? {} } : ((doc.params as Record<string, unknown>) ?? {});
  return buildPolicyInput({
    principal,
    connection: { name: str('connection'), tags: connection?.tags ?? [] },
    message: { jsonrpc: '2.0', id: 1, method: doc.method, params },
    session: { id: str('session_id') || undefined, calls: 0 },
    http: { method: 'POST', path: `/mcp/${str('connection')}`, remote_addr: '', headers: {} },
    now: typeof doc.time === 'string' && !Number.isNaN(Date.parse(doc.time)) ? new Date(doc.time) : new Date(),
  });
}
