/**
 * `regate review`, `regate whatif` and `regate replay`: read recorded transcripts back (file sink
 * or Log Analytics) and print an access review, the decisions another bundle would change, or one
 * session's timeline. Logic lives in src/audit/review/; this file parses flags and writes output.
 */
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { commandConfig } from './command-config.ts';
import { RegateError } from '../errors.ts';
import { formatHtml } from '../audit/review/format-html.ts';
import { formatCsv, formatJson, formatMarkdown } from '../audit/review/format-text.ts';
import { formatWhatIfCsv, formatWhatIfMarkdown } from '../audit/review/format-whatif.ts';
import { createProgress } from '../audit/review/progress.ts';
import { runReplay, runReview, runWhatIf } from '../audit/review/run.ts';
import { formatTimeline } from '../audit/review/replay.ts';
import { SOURCE_NAMES, type SourceName } from '../audit/review/sources.ts';
import { parseTimeRange } from '../audit/review/time-range.ts';
import type { CliIo } from './program.ts';

export const REVIEW_FORMATS = ['md', 'csv', 'json', 'html'] as const;
type ReviewFormat = (typeof REVIEW_FORMATS)[number];

interface ReadFlags {
  config?: string;
  since: string;
  until?: string;
  connection?: string;
  principal?: string;
  source: string;
  format: string;
  out?: string;
}

function pick<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new RegateError('REGATE_ERR_CONFIG_INVALID', `${flag} ${value}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

async function common(flags: ReadFlags, io: CliIo) {
  // Without --config, the embedded defaults that `regate serve` (npm start) records with: the
  // transcript file under the working directory's data/.
  const config = await commandConfig(flags.config, io.env);
  const range = parseTimeRange(flags.since, flags.until, Date.now());
  const filters = { ...(flags.connection ? { connection: flags.connection } : {}), ...(flags.principal ? { principal: flags.principal } : {}) };
  return { config, range, filters, baseDir: flags.config !== undefined ? dirname(flags.config) : process.cwd(), source: pick<SourceName>(flags.source, SOURCE_NAMES, '--source') };
}

async function emit(text: string, out: string | undefined, io: CliIo): Promise<void> {
  if (out === undefined) io.out(text);
  else await writeFile(out, text);
}

function readOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML configuration file (where the transcripts are); default: the embedded defaults of npm start')
    .requiredOption('--since <when>', 'start: a duration before now (30d, 12h, 2w) or an ISO date')
    .option('--until <when>', 'end (exclusive): a duration before now or an ISO date (default: now)')
    .option('--connection <name>', 'only this connection')
    .option('--principal <id>', 'only this principal (id or name)')
    .option('--source <source>', `where to read: ${SOURCE_NAMES.join(' | ')} (auto: the file sink when configured, else Log Analytics)`, 'auto')
    .option('--out <file>', 'write to this file instead of stdout');
}

/** Registers review, whatif and replay on the program. */
export function registerReviewCommands(program: Command, io: CliIo): void {
  readOptions(program.command('review').description('access review: who used which connection, what ran, who approved it, what was masked or exposed'))
    .option('-f, --format <format>', REVIEW_FORMATS.join(' | '), 'md')
    .option('--bundle <tar.gz>', 'also count the allowed calls this policy bundle would hold for approval')
    .action(async (flags: ReadFlags & { bundle?: string }) => {
      const format = pick<ReviewFormat>(flags.format, REVIEW_FORMATS, '--format');
      const c = await common(flags, io);
      const review = await runReview({ ...c, progress: createProgress(process.stderr, 'reading'), ...(flags.bundle ? { bundle: flags.bundle } : {}) });
      const text = format === 'json' ? formatJson(review) : format === 'csv' ? formatCsv(review) : format === 'html' ? formatHtml(review) : formatMarkdown(review);
      await emit(text, flags.out, io);
    });

  readOptions(program.command('whatif').description('list the recorded decisions another policy bundle would change'))
    .requiredOption('--bundle <tar.gz>', 'the policy bundle to measure')
    .option('-f, --format <format>', 'md | csv | json', 'md')
    .action(async (flags: ReadFlags & { bundle: string }) => {
      const format = pick(flags.format, ['md', 'csv', 'json'] as const, '--format');
      const c = await common(flags, io);
      const report = await runWhatIf({ ...c, bundle: flags.bundle, progress: createProgress(process.stderr, 'reading') });
      const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'csv' ? formatWhatIfCsv(report) : formatWhatIfMarkdown(report);
      await emit(text, flags.out, io);
    });

  program
    .command('replay')
    .description("print one recorded session's timeline: requests, decisions, approvals, masked responses, errors, with timings")
    .argument('<session-id>', 'the Mcp-Session-Id (session_id in transcripts)')
    .option('-c, --config <file>', 'YAML configuration file (where the transcripts are); default: the embedded defaults of npm start')
    .option('--since <when>', 'look back this far (a duration or an ISO date)', '30d')
    .option('--until <when>', 'end (exclusive): a duration before now or an ISO date (default: now)')
    .option('--source <source>', `where to read: ${SOURCE_NAMES.join(' | ')}`, 'auto')
    .option('-f, --format <format>', 'text | json', 'text')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (sessionId: string, flags: ReadFlags) => {
      const format = pick(flags.format, ['text', 'json'] as const, '--format');
      const c = await common(flags, io);
      const timeline = await runReplay({ ...c, sessionId, progress: createProgress(process.stderr, 'reading') });
      if (timeline === undefined) throw new RegateError('REGATE_ERR_NOT_FOUND', `no events of session ${sessionId} from ${new Date(c.range.sinceMs).toISOString()}`);
      await emit(format === 'json' ? `${JSON.stringify(timeline, null, 2)}\n` : formatTimeline(timeline), flags.out, io);
    });
}
