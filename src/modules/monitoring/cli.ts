// `harbour monitor`: scan (scan-command.ts, no database), ingest, run-jobs and digest. What the
// commands with a database need is imported when they run, so a scan never loads it.
import { Option, type Command } from 'commander';
import { addMonitorCommand } from './scan-command';
import { logFormats, type LogFormat } from './types';

export { summaryText } from './scan-command';

/** The first few rejected lines, as "; the first: line 3 (why), line 9 (why)". */
export function rejectedText(first: { line: number; reason: string }[], max = 5): string {
  return first.length ? `; the first: ${first.slice(0, max).map((r) => `line ${r.line} (${r.reason})`).join(', ')}` : '';
}

/** Registers `harbour monitor` and its subcommands. */
export function registerMonitorCommands(program: Command) {
  const monitor = addMonitorCommand(program);

  monitor.command('ingest')
    .description("store a school's alerts from filter logs, carrying on from where the last run stopped (never losing or repeating an alert)")
    .requiredOption('--school <id>', "the school's id")
    .addOption(new Option('--format <format>', 'the log format (default: worked out from the first lines)').choices([...logFormats]))
    .option('--follow', 'keep reading as the log grows (and after it is rotated) until stopped')
    .argument('<files...>', 'log files (gzip too)')
    .action(async (files: string[], o: { school: string; format?: LogFormat; follow?: boolean }) => {
      const { withDatabase, resolveSchool, fail } = await import('../../cli/index');
      const { loadConfig } = await import('../../config');
      const { createMailer } = await import('../../platform/mail/mailer');
      const { IngestFileError, ingestFile } = await import('./ingest');
      const { join } = await import('node:path');
      const config = loadConfig();
      const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: join(config.dataDir, 'outbox') });
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await withDatabase(async (db) => {
        const school = await resolveSchool(db, o.school);
        const run = async (f: string) => {
          try {
            const r = await ingestFile(db, f, {
              schoolId: school.id, format: o.format, follow: o.follow, signal: controller.signal, mailer, baseUrl: config.baseUrl,
              actor: { userId: null, label: 'harbour monitor ingest' },
              onNote: (m) => console.error(`Note: ${m}`),
            });
            console.error(`${f}: ${r.format}, ${r.resumed ? 'carried on from where the last run stopped; ' : ''}read ${r.lines} new line${r.lines === 1 ? '' : 's'} (${r.rejected} rejected${rejectedText(r.firstRejected)}), ${r.alertsCreated} new alert${r.alertsCreated === 1 ? '' : 's'}; now at line ${r.lineNumber}.`);
          } catch (e) {
            if (e instanceof IngestFileError) fail(e.message, 2);
            throw e;
          }
        };
        // One file after another unless following (then each is followed at once).
        if (o.follow) await Promise.all(files.map(run));
        else for (const f of files) await run(f);
      });
    });

  monitor.command('run-jobs')
    .description('send the high alerts gathered for the safeguarding leads, end filtering changes past their end date, and send the digests that are due (safe to run as often as you like, e.g. from cron; the server also runs it every 5 minutes)')
    .option('--school <id>', 'only this school (default: every school)')
    .action(async (o: { school?: string }) => {
      const { withDatabase, resolveSchool, fail } = await import('../../cli/index');
      const { loadConfig } = await import('../../config');
      const { createMailer } = await import('../../platform/mail/mailer');
      const { runDueMonitoringJobs } = await import('./scheduler');
      const { join } = await import('node:path');
      const config = loadConfig();
      const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: join(config.dataDir, 'outbox') });
      const r = await withDatabase(async (db) => {
        const schoolId = o.school ? (await resolveSchool(db, o.school)).id : undefined;
        return runDueMonitoringJobs(db, mailer, config.baseUrl, new Date(), { schoolId });
      });
      console.log(`Monitoring jobs done for ${r.schools} school${r.schools === 1 ? '' : 's'}: ${r.alertsNotified} alert(s) sent to the safeguarding leads, ${r.changesExpired} filtering change(s) ended, ${r.digestsSent} digest(s) sent.`);
      if (r.failed) fail(`The jobs failed for ${r.failed} school${r.failed === 1 ? '' : 's'}; the server's log has more.`);
    });

  monitor.command('digest')
    .description("send a school's daily digest or weekly summary now, to the roles its settings name (whatever the schedule)")
    .addOption(new Option('--kind <kind>', 'which one').choices(['daily', 'weekly']).makeOptionMandatory())
    .option('--school <id>', "the school's id (needed when the database holds more than one school)")
    .action(async (o: { kind: 'daily' | 'weekly'; school?: string }) => {
      const { withDatabase, resolveSchool } = await import('../../cli/index');
      const { loadConfig } = await import('../../config');
      const { createMailer } = await import('../../platform/mail/mailer');
      const { digestSettings, sendDigest } = await import('./digests');
      const { join } = await import('node:path');
      const config = loadConfig();
      const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: join(config.dataDir, 'outbox') });
      const r = await withDatabase(async (db) => {
        const school = await resolveSchool(db, o.school);
        const s = await digestSettings(db, school.id);
        const now = new Date();
        const span = (o.kind === 'daily' ? 1 : 7) * 86_400_000;
        return db.transaction((tx) => sendDigest(tx, mailer, config.baseUrl, school.id, o.kind, o.kind === 'daily' ? s.daily_roles : s.weekly_roles, new Date(now.getTime() - span), now,
          { userId: null, label: 'harbour monitor digest' }));
      });
      console.log(`The ${o.kind === 'daily' ? 'daily digest' : 'weekly summary'} was sent to ${r.sent} ${r.sent === 1 ? 'person' : 'people'}${r.sent ? '' : ' (nobody holds the roles it goes to)'}.`);
    });
}
