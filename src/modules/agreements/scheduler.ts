// The in-process scheduler for agreements: runs the due jobs (the yearly renewal on its day,
// chasers) a little after start and then on an interval. `harbour agreements run-jobs` runs the
// same function once, for installations that prefer cron. Both are safe together: the jobs are
// idempotent (a renewal starts once a year; nobody is chased twice within the period).
import type { Database } from '../../platform/db/database';
import type { Mailer } from '../../platform/mail/mailer';
import { runDueAgreementJobs } from './renewal';

/** How often the server looks for due agreement jobs. */
export const agreementJobsEveryMs = 15 * 60_000;

/**
 * Starts running the due agreement jobs every `everyMs` (first run after `firstAfterMs`); a run
 * never overlaps the previous one. Returns a function that stops it (and waits for a run in progress).
 */
export function startAgreementScheduler(opts: { db: Database; mailer: Mailer; baseUrl: string; log: { info: Function; error: Function }; everyMs?: number; firstAfterMs?: number; /** Only this school (tests share a database). */ schoolId?: string }) {
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = runDueAgreementJobs(opts.db, opts.mailer, opts.baseUrl, new Date(), { schoolId: opts.schoolId })
      .then((r) => { if (r.renewalsStarted || r.sent || r.failed) opts.log.info({ job: 'agreements', ...r }, 'agreement jobs ran'); })
      // Ids and counts only: the error's message could name nothing personal, but keep to its kind.
      .catch((e: Error) => opts.log.error({ job: 'agreements', err: e.name }, 'agreement jobs failed'))
      .finally(() => { running = null; });
  };
  const first = setTimeout(tick, opts.firstAfterMs ?? 10_000);
  const every = setInterval(tick, opts.everyMs ?? agreementJobsEveryMs);
  first.unref();
  every.unref();
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(every);
    if (running) await running;
  };
}
