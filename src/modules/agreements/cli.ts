// `harbour agreements ...`: the agreements jobs for cron.
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { createMailer } from '../../platform/mail/mailer';
import { runDueAgreementJobs } from './renewal';

export function registerAgreementCommands(program: Command) {
  const cmd = program.command('agreements').description('acceptable use agreements');
  cmd.command('run-jobs')
    .description('start a yearly renewal that is due, send the chasers that are due and the parents\' links owed after a new version (safe to run as often as you like, e.g. from cron)')
    .option('--school <id>', 'only this school (default: every school)')
    .action(async (o) => {
      // Imported here, not at the top: src/cli/index.ts imports this file.
      const { withDatabase, resolveSchool, fail } = await import('../../cli/index');
      const config = loadConfig();
      const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: join(config.dataDir, 'outbox') });
      try {
        const r = await withDatabase(async (db) => {
          const schoolId = o.school ? (await resolveSchool(db, o.school)).id : undefined;
          return runDueAgreementJobs(db, mailer, config.baseUrl, new Date(), { schoolId });
        });
        console.log(`Agreement jobs done: ${r.renewalsStarted} renewal(s) started, ${r.sent} reminder(s) sent, ${r.failed} could not be sent; `
          + `${r.remindersSent} reminder(s) of a renewal sent, ${r.remindersFailed} could not be sent; `
          + `${r.parentLinksSent} parents' link(s) for a new version sent, ${r.parentLinksFailed} could not be sent.`);
      } catch (e) {
        fail(`The agreement jobs failed: ${(e as Error).message}`);
      }
    });
}
