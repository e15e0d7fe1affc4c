/**
 * Child process for the SIGKILL spec: a regate-like recorder built exactly as production builds it
 * (createAudit, no injected Azure options: the fakes' CA is trusted through NODE_EXTRA_CA_CERTS).
 * It writes the events it is about to record to EVENTS_FILE, appends them, starts its flusher and
 * prints "pending" once some of them are in flight; the parent then kills it with SIGKILL.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { auditConfigSchema } from '../../../src/audit/config.ts';
import { createAudit } from '../../../src/audit/create.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';
import { quietLog } from './audit-setup.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

const audit = await createAudit(
  auditConfigSchema.parse({ sink: 'log-analytics', log_analytics: JSON.parse(env('LOG_ANALYTICS')) as unknown }),
  { redis: { url: env('REDIS_URL'), prefix: env('PREFIX') }, log: quietLog, baseDir: tmpdir(), consumer: 'doomed' },
);
const events = sampleEvents(Number(env('COUNT')));
writeFileSync(env('EVENTS_FILE'), JSON.stringify(events));
for (let i = 0; i < events.length; i += 20) await audit.buffer.append(events.slice(i, i + 20));
await audit.flusher.start();
for (let i = 0; i < 200; i++) {
  if ((await audit.buffer.stats()).pending > 0) break;
  await new Promise((r) => setTimeout(r, 25));
}
process.stdout.write('pending\n');
setInterval(() => undefined, 1000); // stay alive until killed
