// The in-process scheduler for agreements: runs the due jobs (the yearly renewal on its day,
// chasers, parents' links owed after a new version) a little after start and then on an
// interval; the owed parents' links and renewal reminders are also looked for every minute, so
// they go shortly after publishing or starting a renewal. `harbour agreements run-jobs` runs the same function once, for installations that
// prefer cron. Both are safe together: the jobs are idempotent (a renewal starts once a year;
// nobody is chased twice within the period; a parent gets one link per version).
import type { Database } from '../../platform/db/database';
import type { Mailer } from '../../platform/mail/mailer';
import { runDueAgreementJobs, runOwedParentLinks, runOwedRenewalReminders } from './renewal';

/** How often the server looks for due agreement jobs. */
export const agreementJobsEveryMs = 15 * 60_000;
/** How often the server looks for parents' links owed after a new version (a quick query when none is). */
export const parentLinksEveryMs = 60_000;

/**
 * Starts running the due agreement jobs every `everyMs` (first run after `firstAfterMs`); a run
 * never overlaps the previous one. Returns a function that stops it (and waits for a run in progress).
 */
export function startAgreementScheduler(opts: { db: Database; mailer: Mailer; baseUrl: string; log: { info: Function; error: Function }; everyMs?: number; firstAfterMs?: number; linksEveryMs?: number; /** Only this school (tests share a database). */ schoolId?: string }) {
  let running: Promise<void> | null = null;
  let stopped = false;
  const start = (job: () => Promise<Record<string, number>>) => {
    if (running || stopped) return;
    running = job()
      .then((r) => { if (Object.values(r).some((n) => n > 0)) opts.log.info({ job: 'agreements', ...r }, 'agreement jobs ran'); })
      // Ids and counts only: the error's message could name nothing personal, but keep to its kind.
      .catch((e: Error) => opts.log.error({ job: 'agreements', err: e.name }, 'agreement jobs failed'))
      .finally(() => { running = null; });
  };
  const tick = () => start(async () => ({ ...(await runDueAgreementJobs(opts.db, opts.mailer, opts.baseUrl, new Date(), { schoolId: opts.schoolId })) }));
  const linksTick = () => start(async () => {
    const r = await runOwedParentLinks(opts.db, opts.mailer, opts.baseUrl, { schoolId: opts.schoolId });
    // And the reminders owed by a renewal started by hand, so they go within a minute too.
    const reminders = await runOwedRenewalReminders(opts.db, opts.mailer, opts.baseUrl, { schoolId: opts.schoolId });
    return { parentLinksSent: r.sent, parentLinksFailed: r.failed, remindersSent: reminders.sent, remindersFailed: reminders.failed };
  });
  const first = setTimeout(tick, opts.firstAfterMs ?? 10_000);
  const every = setInterval(tick, opts.everyMs ?? agreementJobsEveryMs);
  const links = setInterval(linksTick, opts.linksEveryMs ?? parentLinksEveryMs);
  first.unref();
  every.unref();
  links.unref();
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(every);
    clearInterval(links);
    if (running) await running;
  };
}
