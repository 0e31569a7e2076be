import { join } from 'node:path';
import type { Config } from './config';
import { createLogger } from './platform/logger';
import { openDatabase } from './platform/db/database';
import { createMailer } from './platform/mail/mailer';
import { dataSecret } from './platform/secrets';
import { buildApp } from './app';
import { installationMode } from './modules/schools/service';
import { demoSignInText, seedDemo } from './modules/schools/demo';
import { startAgreementScheduler } from './modules/agreements/scheduler';
import { startMonitoringScheduler } from './modules/monitoring/scheduler';

/**
 * Starts Harbour: the database (embedded unless DATABASE_URL), migrations, demo data on a
 * first start, then the web server. Returns a function that shuts it all down cleanly.
 */
export async function startServer(config: Config) {
  const t0 = performance.now();
  const log = createLogger(config.logLevel);
  const opened = await openDatabase(config, log, { mode: 'server' });
  const { db } = opened;
  let mode = await installationMode(db);
  if (!mode && config.seedDemo) {
    const seeded = await seedDemo(db);
    mode = 'demo';
    if (seeded) console.log(demoSignInText(config.baseUrl, seeded));
  }
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: join(config.dataDir, 'outbox') });
  const app = await buildApp({
    config,
    db,
    log,
    mailer,
    sessionSecret: config.sessionSecret ?? dataSecret(config.dataDir, 'session'),
  });
  await app.listen({ port: config.port, host: config.host });
  const stopAgreementJobs = startAgreementScheduler({ db, mailer, baseUrl: config.baseUrl, log });
  const stopMonitoringJobs = startMonitoringScheduler({ db, mailer, baseUrl: config.baseUrl, log });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  console.log(`Harbour is ready at http://localhost:${port} (${db.kind} database${mode ? `, ${mode} data` : ', no school yet: run harbour setup'}) in ${Math.round(performance.now() - t0)} ms`);
  if (mode === 'demo') console.log('Demo data: every demo account uses the password harbour-demo-2026 (run "harbour demo --accounts" to list them).');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stopAgreementJobs();
    await stopMonitoringJobs();
    await app.close();
    await opened.close();
  };
  return { app, db, port, stop, log };
}
