import { RegateError } from '../errors.ts';

/**
 * Expands `${NAME}` and `${NAME:-default}` in every string of a parsed YAML document, so that
 * credentials live in the environment (or a secret store that fills it) rather than in the file.
 * `$${` is a literal `${`. An unset variable without a default is an error naming the key path.
 */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') return expandString(value, env, path);
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

const pattern = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function expandString(s: string, env: NodeJS.ProcessEnv, path: string): string {
  return s.replace(pattern, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const v = env[name as string];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    throw new RegateError('REGATE_ERR_CONFIG_ENV', `${path || '(root)'}: \${${name}} is not set`);
  });
}
