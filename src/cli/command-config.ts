/**
 * The configuration of a command that reads policy or transcripts but never calls an upstream
 * (`eval`, `mask`, `token`, `review`, `replay`, `whatif`): the given file, else the embedded
 * defaults with the committed bundle and an upstream address nothing connects to.
 */
import type { Config } from '../config/schema.ts';
import { embeddedConfig } from '../config/embedded.ts';
import { buildConfig, loadConfigFile } from '../config/load.ts';
import { committedBundle } from './serve.ts';

export function commandConfig(file: string | undefined, env: NodeJS.ProcessEnv): Promise<Config> | Config {
  return file !== undefined ? loadConfigFile(file, env) : buildConfig(embeddedConfig({ url: 'http://127.0.0.1:1/mcp', token: 'unused', bundle: committedBundle }), env);
}
