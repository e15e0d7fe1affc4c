#!/usr/bin/env node
/**
 * Composition root: the only module that reads argv, the environment and process signals.
 */
import { runCli } from './cli/program.ts';

const stopSignal = new Promise<string>((resolve) => {
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s),
  stopSignal,
});
process.exitCode = code;
