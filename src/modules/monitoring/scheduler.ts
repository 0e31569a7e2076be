// The in-process scheduler for filtering and monitoring: for every school it sends the high
// alerts gathered since the last email to the safeguarding leads, ends filtering change requests
// past their end date (telling the IT provider to put the filtering back), and sends the daily
// digest and weekly summary when due. `harbour monitor run-jobs` runs the same function once (for
// cron). Both are safe together: every job is idempotent and locks what it sends.
import type { Database } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import type { Mailer } from '../../platform/mail/mailer';
import { expireChangeRequests } from './change-requests';
import { emailsOfRoles, londonParts, sendDueDigests } from './digests';
import { notifyNewAlerts } from './notify';

/** How often the server runs the monitoring jobs. */
export const monitoringJobsEveryMs = 5 * 60_000;

export interface MonitoringJobResult { schools: number; alertsNotified: number; changesExpired: number; digestsSent: number; failed: number }

/** Ends the school's change requests past their end date; the IT provider is emailed when one was approved or carried out. */
export async function expireDueChanges(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, now = new Date()): Promise<number> {
  return db.transaction(async (tx) => {
    const today = londonParts(now).date;
    const [live] = await schoolScope(tx, schoolId).sql<{ n: number }>(
      `select count(*)::int as n from filtering_change_requests where school_id = :school and status in ('approved', 'done') and ends_on is not null and ends_on < $1::date`, [today]);
    const n = await expireChangeRequests(tx, schoolId, now);
    if (live.n) {
      for (const email of await emailsOfRoles(tx, schoolId, ['it_provider'])) {
        await mailer.send({
          to: email,
          subject: `Harbour: ${live.n === 1 ? 'a filtering change has' : `${live.n} filtering changes have`} reached the end date`,
          text: [
            `${live.n === 1 ? 'A change to the school\'s filtering that was approved has' : `${live.n} changes to the school's filtering that were approved have`} reached the end date the school gave.`,
            'Please put the filtering back as it was before the change. Sign in to Harbour to see which:',
            `${baseUrl}/monitoring/change-requests`,
          ].join('\n'),
        });
      }
    }
    return n;
  });
}

/** Runs the due monitoring jobs for every school (or one). One school's failure does not stop the others. */
export async function runDueMonitoringJobs(db: Database, mailer: Mailer, baseUrl: string, now = new Date(), opts: { schoolId?: string } = {}): Promise<MonitoringJobResult> {
  const schools = (await db.query<{ id: string }>('select id from schools where ($1::uuid is null or id = $1) order by id', [opts.schoolId ?? null])).rows;
  const r: MonitoringJobResult = { schools: schools.length, alertsNotified: 0, changesExpired: 0, digestsSent: 0, failed: 0 };
  for (const { id } of schools) {
    try {
      r.alertsNotified += await notifyNewAlerts(db, mailer, baseUrl, id, now);
      r.changesExpired += await expireDueChanges(db, mailer, baseUrl, id, now);
      r.digestsSent += (await sendDueDigests(db, mailer, baseUrl, id, now)).length;
    } catch {
      r.failed++;
    }
  }
  return r;
}

/**
 * Starts running the monitoring jobs every `everyMs` (first run after `firstAfterMs`); a run never
 * overlaps the previous one. Returns a function that stops it (and waits for a run in progress).
 */
export function startMonitoringScheduler(opts: { db: Database; mailer: Mailer; baseUrl: string; log: { info: Function; error: Function }; everyMs?: number; firstAfterMs?: number; schoolId?: string }) {
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = runDueMonitoringJobs(opts.db, opts.mailer, opts.baseUrl, new Date(), { schoolId: opts.schoolId })
      .then((r) => { if (r.alertsNotified || r.changesExpired || r.digestsSent || r.failed) opts.log.info({ job: 'monitoring', ...r }, 'monitoring jobs ran'); })
      .catch((e: Error) => opts.log.error({ job: 'monitoring', err: e.name }, 'monitoring jobs failed'))
      .finally(() => { running = null; });
  };
  const first = setTimeout(tick, opts.firstAfterMs ?? 10_000);
  const every = setInterval(tick, opts.everyMs ?? monitoringJobsEveryMs);
  first.unref();
  every.unref();
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(every);
    if (running) await running;
  };
}
