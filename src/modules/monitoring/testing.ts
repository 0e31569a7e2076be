// Test support: a school's monitoring records (an ingested log with its position and alerts, a
// mapping, a phrase exclusion, a dismissed alert, an approved filtering change request, digest settings) for tests that need every table filled.
import { join } from 'node:path';
import type { Database } from '../../platform/db/database';
import { ingestFile } from './ingest';
import { addIdentity, addSchoolPhrase, dismissAlert } from './service';
import { approveChange, requestFilteringChange } from './change-requests';
import { recordCheck, recordDecision, saveReview, setResponsibility, startReview } from './records';
import { saveDigestSettings } from './digests';

export async function addMonitoringRecords(db: Database, schoolId: string, opts: { pupilId: string; userId: string }) {
  const by = { actor: { userId: opts.userId, label: 'test' }, personId: null, ip: null };
  await db.transaction((tx) => addIdentity(tx, schoolId, { kind: 'username', value: 'pupil.t.okafor', personId: opts.pupilId, room: null }, by));
  await ingestFile(db, join(import.meta.dirname, 'fixtures/squid-access.log'), { schoolId });
  const [alert] = (await db.query(`select id from monitoring_alerts where school_id = $1 and severity = 'medium' order by line limit 1`, [schoolId])).rows;
  await db.transaction((tx) => dismissAlert(tx, schoolId, alert.id, 'A lesson on the subject', by));
  await db.transaction((tx) => addSchoolPhrase(tx, schoolId, { action: 'exclude', risk: 'filter-bypass', phrase: 'unblocked games', severity: 'medium', match: 'phrase', intent: false, reason: 'An approved games site' }, by));
  const change = await db.transaction((tx) => requestFilteringChange(tx, schoolId, { kind: 'unblock', target: 'learning.example.net', for_whom: 'Year 6', reason: 'A project', ends_on: '2099-07-20' }, by));
  await db.transaction((tx) => approveChange(tx, schoolId, change.id, null, by));
  await db.transaction(async (tx) => {
    await setResponsibility(tx, schoolId, 'senior_leader', 'A senior leader', by);
    await recordDecision(tx, schoolId, { decided_on: '2026-11-01', decision: 'Allow video sites for staff', reason: 'Teaching' }, by);
    await recordCheck(tx, schoolId, { checked_on: '2026-11-02', device: 'Laptop', user_group: 'KS2', tested: 'Test pages', result: 'pass', checked_by: 'Technician' }, by);
    const review = await startReview(tx, schoolId, by);
    await saveReview(tx, schoolId, review.id, { roles: { done: true, evidence: 'The policy' } }, by);
    await saveDigestSettings(tx, schoolId, { daily_enabled: true, daily_hour: 8, daily_roles: ['headteacher'], weekly_enabled: false, weekly_day: 1, weekly_hour: 9, weekly_roles: ['computing_lead'] }, by);
  });
}
