// `harbour monitor scan`: reads filter logs and prints alerts, with no database.
import { access, constants, stat } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { LogFileError, scanLogs, type ScanSummary } from './scan';
import { defaultThreads } from './scan-threads';
import { IngestFileError, ingestFile } from './ingest';
import { logFormats, severities, severityRank, type Alert, type LogFormat, type Severity } from './types';

function printTable(alerts: Alert[]) {
  const out = process.stdout;
  for (const a of alerts) {
    out.write(`${a.severity.toUpperCase().padEnd(8)} ${a.time}  ${a.risk.padEnd(21)} ${(a.user ?? a.client ?? '-').padEnd(16)} ${a.source}:${a.line}\n`);
    out.write(`         ${a.query !== null ? `search: ${JSON.stringify(a.query)}` : `url: ${a.url.length > 100 ? `${a.url.slice(0, 100)}...` : a.url}`}${a.blocked ? ' (blocked)' : ''}\n`);
    out.write(`         why: ${a.reason}\n`);
  }
}

/** The summary on standard error: lines read, rejected (with the first few), speed, alerts by severity. */
export function summaryText(s: ScanSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.lines / s.seconds) : s.lines;
  const lines = [
    `Read ${s.lines.toLocaleString('en-GB')} lines from ${s.files.length} file${s.files.length === 1 ? '' : 's'} (${s.files.map((f) => `${f.source}: ${f.format ?? 'unknown'}${f.gzip ? ', gzip' : ''}`).join('; ')}) in ${s.seconds.toFixed(2)} s: ${rate.toLocaleString('en-GB')} lines per second.`,
    `Rejected ${s.rejected.toLocaleString('en-GB')} line${s.rejected === 1 ? '' : 's'}${s.rejected ? `; the first: ${s.firstRejected.slice(0, 5).map((r) => `${r.source}:${r.line} (${r.reason})`).join(', ')}` : ''}.`,
    `Alerts: ${severities.slice().reverse().map((sev) => `${s.alerts[sev]} ${sev}`).join(', ')} (${s.grouped} repeats grouped, ${s.assetsSuppressed} image and script requests not counted, ${s.escalated} raised for repeated blocks).`,
  ];
  for (const f of s.files) if (f.error) lines.push(`${f.source}: ${f.error}`);
  return lines.join('\n');
}

/** The first few rejected lines, as "; the first: line 3 (why), line 9 (why)". */
export function rejectedText(first: { line: number; reason: string }[], max = 5): string {
  return first.length ? `; the first: ${first.slice(0, max).map((r) => `line ${r.line} (${r.reason})`).join(', ')}` : '';
}

function threadCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('a whole number from 1 to 64');
  return n;
}

/** Registers `harbour monitor` and its subcommands. */
export function registerMonitorCommands(program: Command) {
  const monitor = program.command('monitor').description('filtering and monitoring: read the filter\'s logs');
  monitor.command('scan')
    .description('read filter logs (Squid, e2guardian, CSV exports; gzip too) and print the alerts, without a database')
    .addOption(new Option('--format <format>', 'the log format (default: worked out from the first lines)').choices([...logFormats]))
    .option('--json', 'one JSON object per alert on standard output')
    .addOption(new Option('--min-severity <severity>', 'leave out alerts below this severity').choices([...severities]).default('low'))
    .addOption(new Option('--threads <n>', `threads to read a plain (not gzip) file of 8 MiB or more with: the main thread and n - 1 worker threads (default: the CPUs, at most 4, or 1 where there are only two; here ${defaultThreads()}); 1 reads it in the main thread alone. The alerts and the summary are the same either way`).argParser(threadCount))
    .argument('<files...>', 'log files')
    .action(async (files: string[], o: { format?: LogFormat; json?: boolean; minSeverity: Severity; threads?: number }) => {
      for (const f of files) {
        try {
          await access(f, constants.R_OK);
          if ((await stat(f)).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        } catch (e) {
          console.error(`${f}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
          process.exit(2);
        }
      }
      const min = severityRank(o.minSeverity);
      const table: Alert[] = [];
      let pending = '';
      const flushOut = () => {
        if (pending) {
          process.stdout.write(pending);
          pending = '';
        }
      };
      let summary: ScanSummary;
      try {
        summary = await scanLogs(files, {
          format: o.format,
          threads: o.threads,
          onNote: (m) => console.error(`Note: ${m}`),
          onAlert: (a) => {
            if (severityRank(a.severity) < min) return;
            if (o.json) {
              pending += `${JSON.stringify(a)}\n`;
              if (pending.length > 1 << 16) flushOut();
            } else table.push(a);
          },
        });
      } catch (e) {
        flushOut();
        if (e instanceof LogFileError) {
          console.error(e.message);
          process.exit(2);
        }
        throw e;
      }
      flushOut();
      if (!o.json) {
        table.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.time.localeCompare(b.time));
        printTable(table);
      }
      console.error(summaryText(summary));
    });

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
