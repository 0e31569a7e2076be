// `harbour monitor scan`: reads filter logs and prints alerts, with no database. The command on its
// own (scanCommandLine) is what bin/harbour.mjs runs from a cached bundle (src/cli/bundle.mjs), so a
// scan starts without tsx and without the rest of Harbour; cli.ts adds the same command, with the
// monitoring commands that need a database, to the whole harbour command.
import { access, constants, stat } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { harbourProgram } from '../../cli/program';
import { LogFileError, scanLogs, type ScanSummary } from './scan';
import { defaultThreads } from './scan-threads';
import { logFormats, severities, severityRank, type Alert, type LogFormat, type Severity } from './types';

function printTable(alerts: Alert[]) {
  const out = process.stdout;
  for (const a of alerts) {
    out.write(`${a.severity.toUpperCase().padEnd(8)} ${a.time}  ${a.risk.padEnd(21)} ${(a.user ?? a.client ?? '-').padEnd(16)} ${a.source}:${a.line}\n`);
    out.write(`         ${a.query !== null ? `search: ${JSON.stringify(a.query)}` : `url: ${a.url.length > 100 ? `${a.url.slice(0, 100)}...` : a.url}`}${a.blocked ? ' (blocked)' : ''}\n`);
    out.write(`         why: ${a.reason}\n`);
  }
}

/**
 * A whole number as toLocaleString('en-GB') writes it ("2,000,000"), without loading the locale data
 * (a sixtieth of a second, a tenth of a scan's start-up); anything else is left to toLocaleString.
 */
export function grouped(n: number): string {
  return Number.isSafeInteger(n) && !Object.is(n, -0) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-GB');
}

/** The summary on standard error: lines read, rejected (with the first few), speed, alerts by severity. */
export function summaryText(s: ScanSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.lines / s.seconds) : s.lines;
  const lines = [
    `Read ${grouped(s.lines)} lines from ${s.files.length} file${s.files.length === 1 ? '' : 's'} (${s.files.map((f) => `${f.source}: ${f.format ?? 'unknown'}${f.gzip ? ', gzip' : ''}`).join('; ')}) in ${s.seconds.toFixed(2)} s: ${grouped(rate)} lines per second.`,
    `Rejected ${grouped(s.rejected)} line${s.rejected === 1 ? '' : 's'}${s.rejected ? `; the first: ${s.firstRejected.slice(0, 5).map((r) => `${r.source}:${r.line} (${r.reason})`).join(', ')}` : ''}.`,
    `Alerts: ${severities.slice().reverse().map((sev) => `${s.alerts[sev]} ${sev}`).join(', ')} (${s.grouped} repeats grouped, ${s.assetsSuppressed} image and script requests not counted, ${s.escalated} raised for repeated blocks).`,
  ];
  for (const f of s.files) if (f.error) lines.push(`${f.source}: ${f.error}`);
  return lines.join('\n');
}

function threadCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('a whole number from 1 to 64');
  return n;
}

/** Adds `harbour monitor` with its `scan` command to the program, and returns it for the other monitoring commands. */
export function addMonitorCommand(program: Command): Command {
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
  return monitor;
}

/** `harbour monitor scan ...` on its own: the harbour command with only this command added. */
export async function scanCommandLine(argv: string[]): Promise<void> {
  const program = harbourProgram();
  addMonitorCommand(program);
  await program.parseAsync(argv);
}
