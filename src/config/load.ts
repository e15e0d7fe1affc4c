import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { RegateError } from '../errors.ts';
import { expandEnv } from './env.ts';
import { configSchema, type Config, type ConfigInput } from './schema.ts';

/** Environment variables that override single keys (useful in containers). */
const envOverrides: ReadonlyArray<{ env: string; apply: (doc: Record<string, any>, v: string) => void }> = [
  { env: 'REGATE_LISTEN_HOST', apply: (d, v) => ((d.listen ??= {}).host = v) },
  { env: 'REGATE_LISTEN_PORT', apply: (d, v) => ((d.listen ??= {}).port = Number(v)) },
  { env: 'REGATE_LOG_LEVEL', apply: (d, v) => ((d.logging ??= {}).level = v) },
  { env: 'REGATE_REDIS_URL', apply: (d, v) => ((d.redis ??= {}).url = v) },
  { env: 'REGATE_SESSION_HASH_KEY', apply: (d, v) => ((d.sessions ??= {}).hash_key = v) },
];

/** Reads, expands, validates and freezes a YAML config file. */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RegateError('REGATE_ERR_CONFIG_READ', `${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new RegateError('REGATE_ERR_CONFIG_INVALID', `${file}: ${msg}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new RegateError('REGATE_ERR_CONFIG_INVALID', `${file}: the document must be a mapping`);
  }
  return buildConfig(doc as ConfigInput, env);
}

/** Validates an already-parsed document (YAML or the embedded defaults) and freezes the result. */
export function buildConfig(doc: ConfigInput | Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Config {
  const expanded = expandEnv(doc, env) as Record<string, any>;
  for (const o of envOverrides) {
    const v = env[o.env];
    if (v !== undefined && v !== '') o.apply(expanded, v);
  }
  const result = configSchema.safeParse(expanded);
  if (!result.success) throw new RegateError('REGATE_ERR_CONFIG_INVALID', formatIssues(result.error));
  return deepFreeze(result.data);
}

/** One line per problem, each starting with the key path: `connections[0].url: an http:// or https:// URL`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.reduce<string>(
        (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
        '',
      );
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
