// Tells the safeguarding leads of new high and critical alerts: a critical one at once; high ones
// the same day, at most one email an hour (the first at once, later ones gathered by the next run
// of the scheduler after the hour is up). The email says only that there is an alert and how
// severe: never the search, the site, the person or the reason.
import type { Database } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import type { Mailer } from '../../platform/mail/mailer';

/** The email addresses of the designated and deputy safeguarding leads who can sign in. */
export async function safeguardingLeadEmails(db: Database, schoolId: string): Promise<string[]> {
  const rows = await schoolScope(db, schoolId).sql<{ email: string }>(
    `select distinct u.email from role_assignments r
       join memberships m on m.person_id = r.person_id and m.school_id = r.school_id
       join users u on u.id = m.user_id
      where r.school_id = :school and r.role in ('designated_safeguarding_lead', 'deputy_safeguarding_lead') and u.disabled_at is null
      order by u.email`);
  return rows.map((r) => r.email);
}

/** How long high alerts wait, at most, to be gathered into one email (a critical one never waits). */
export const highAlertsEveryMs = 60 * 60_000;

/** Emails the leads about high and critical alerts not yet told of (one email each, however many alerts). Returns how many alerts it covered. */
export async function notifyNewAlerts(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, now = new Date()): Promise<number> {
  return db.transaction(async (tx) => {
    const scope = schoolScope(tx, schoolId);
    const due = await scope.sql<{ id: string; severity: string }>(
      `select id, severity from monitoring_alerts where school_id = :school and notified_at is null and status = 'new' and severity in ('high', 'critical')
        for update skip locked`);
    if (!due.length) return 0;
    if (!due.some((a) => a.severity === 'critical')) {
      const [last] = await scope.sql<{ at: Date | null }>('select max(notified_at) as at from monitoring_alerts where school_id = :school');
      if (last.at && now.getTime() - last.at.getTime() < highAlertsEveryMs) return 0;
    }
    const worst = due.some((a) => a.severity === 'critical') ? 'critical' : 'high';
    const to = await safeguardingLeadEmails(db, schoolId);
    const n = due.length;
    for (const email of to) {
      await mailer.send({
        to: email,
        subject: `Harbour: ${n === 1 ? 'a new' : `${n} new`} ${worst} filtering alert${n === 1 ? '' : 's'}`,
        text: [
          n === 1 ? `There is a new filtering and monitoring alert, severity ${worst}.` : `There are ${n} new filtering and monitoring alerts; the most severe is ${worst}.`,
          '',
          'Sign in to Harbour to see it and act on it:',
          `${baseUrl}/monitoring/alerts`,
          '',
          'For safeguarding reasons this email does not say what the alert is about.',
        ].join('\n'),
      });
    }
    await scope.sql('update monitoring_alerts set notified_at = $2 where school_id = :school and id = any($1::uuid[])', [due.map((a) => a.id), now]);
    return n;
  });
}
