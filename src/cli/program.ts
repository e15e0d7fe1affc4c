import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { Command, CommanderError } from 'commander';
import { stringify } from 'yaml';
import { loadConfigFile } from '../config/load.ts';
import { redactConfig } from '../config/redact.ts';
import { RegateError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { dirname } from 'node:path';
import { evalCommand } from './eval.ts';
import { maskCommand, type MaskCommandArgs } from './mask.ts';
import { mintTokenCommand, type TokenCommandArgs } from './token.ts';
import { embeddedBanner, embeddedTokens, serve } from './serve.ts';
import { commandConfig } from './command-config.ts';
import { runPrimary, runWorker } from './cluster.ts';
import { parseWorkers } from './workers.ts';
import { registerReviewCommands } from './review.ts';

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  readonly stopSignal: Promise<string>;
}

/** Runs the regate CLI; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('regate')
    .description('Rego-driven policy enforcement point for the Model Context Protocol')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  let code = 0;

  program
    .command('serve')
    .description('run the gateway (embedded defaults with a demo upstream when --config is omitted)')
    .option('-c, --config <file>', 'YAML configuration file')
    .option('-w, --workers <n|auto>', 'worker processes sharing the port (default 1; auto: one per available core)')
    .action(async (opts: { config?: string; workers?: string }) => {
      const workers = parseWorkers(opts.workers, availableParallelism());
      const args = { config: opts.config, env: io.env, stopSignal: io.stopSignal };
      // A cluster worker re-runs this same command line: it serves as one process would.
      if (cluster.isWorker) return runWorker(args);
      if (workers > 1) {
        code = await runPrimary({ ...args, workers, out: io.out });
        return;
      }
      const running = await serve({ config: opts.config, env: io.env });
      if (!opts.config) io.out(embeddedBanner(running.regate.url, await embeddedTokens(running.identity.dev!)));
      const signal = await io.stopSignal;
      running.log.info({ signal }, 'stopping');
      await running.stop();
    });

  program
    .command('eval')
    .description('dry run: print the decision, rule and bundle revision for one policy input or transcript event')
    .option('-c, --config <file>', 'YAML configuration file (default: the embedded defaults)')
    .requiredOption('-i, --input <file>', 'JSON policy input, or a recorded transcript event')
    .option('--groups <list>', "comma-separated groups for the principal (transcript events do not record them)")
    .action(async (opts: { config?: string; input: string; groups?: string }) => {
      const config = await commandConfig(opts.config, io.env);
      const groups = opts.groups === undefined ? {} : { groups: opts.groups.split(',').map((g) => g.trim()).filter(Boolean) };
      io.out(JSON.stringify(await evalCommand(config, opts.config ? dirname(opts.config) : process.cwd(), opts.input, groups), null, 2));
    });

  program
    .command('mask')
    .description('mask one message (JSON-RPC message or tool result) as the gateway would; prints it with the counts')
    .option('-c, --config <file>', 'YAML configuration file (default: the embedded defaults)')
    .requiredOption('-i, --input <file>', 'JSON message or tool result to mask')
    .option('--obligations <file>', 'JSON mask obligations: an array, a decision with "mask", or regate eval output')
    .option('--detectors <list>', '"all" (the fail-closed plan), or comma-separated detectors')
    .option('--style <style>', 'style for --detectors: redact, last4 or hash', 'redact')
    .option('--data <file>', 'bundle data (like rego/data.json) with custom detectors at regate.masking.detectors')
    .action(async (opts: MaskCommandArgs & { config?: string }) => {
      const config = await commandConfig(opts.config, io.env);
      io.out(JSON.stringify(await maskCommand(config, opts.config ? dirname(opts.config) : process.cwd(), opts), null, 2));
    });

  program
    .command('token')
    .description('mint a short-lived dev token (only with auth.provider: dev and dev.enabled: true)')
    .option('-c, --config <file>', 'YAML configuration file (default: the embedded defaults)')
    .requiredOption('--sub <id>', 'subject (principal id)')
    .option('--name <name>', 'display name')
    .option('--type <type>', 'user or app', 'user')
    .option('--groups <list>', 'comma-separated group ids')
    .option('--roles <list>', 'comma-separated app roles')
    .option('--scopes <list>', 'comma-separated scopes')
    .option('--ttl <seconds>', 'lifetime in seconds')
    .action(async (opts: TokenCommandArgs & { config?: string }) => {
      const config = await commandConfig(opts.config, io.env);
      if (!config.auth) throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'auth: required to mint a token');
      const log = createLogger('warn', process.stderr);
      // Relative paths (the dev key file) resolve against the config's directory, as for serve.
      io.out(await mintTokenCommand(config.auth, opts, { logger: log, baseDir: opts.config ? dirname(opts.config) : process.cwd() }));
    });

  registerReviewCommands(program, io);

  program
    .command('config')
    .description('validate a configuration file and print it with secrets redacted')
    .requiredOption('-c, --config <file>', 'YAML configuration file')
    .action(async (opts: { config: string }) => {
      const config = await loadConfigFile(opts.config, io.env);
      io.out(stringify(redactConfig(config)));
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof RegateError) {
      io.err(`regate: ${err.code}: ${err.message}\n`);
      return err.code.startsWith('REGATE_ERR_CONFIG') ? 2 : 1;
    }
    io.err(`regate: ${(err as Error)?.message ?? String(err)}\n`);
    code = 1;
  }
  return code;
}
