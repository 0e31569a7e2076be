// Test support: one of each agreements record for a school, so tests of shared machinery (the
// archive, isolation) cover this capability's tables without knowing their shape.
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { systemActor } from '../../platform/audit/audit';
import { agreementForAudience, ensureAgreements, findOrAddVisitor, recordAccessDecision, recordKioskVisit, recordSignature } from './service';

/**
 * Gives a school a signature, a parent's link, a request to explain, a kiosk with a visitor's visit and a technology
 * access decision, a yearly renewal setting, a renewal, a chaser, and a parents' links run for
 * a new version with one parent sent a link, and a renewal's reminders with one parent reminded. parentId must be a parent of childId; staffPersonId a member of staff.
 */
export async function addAgreementRecords(db: Database, schoolId: string, who: { staffPersonId: string; parentId: string; childId: string }) {
  await ensureAgreements(db, schoolId);
  const scope = schoolScope(db, schoolId);
  const staff = (await agreementForAudience(db, schoolId, 'staff_governors'))!;
  const parents = (await agreementForAudience(db, schoolId, 'parents'))!;
  await recordSignature(db, schoolId, { agreementId: staff.id, signerId: who.staffPersonId, subjectId: who.staffPersonId, signedName: 'Staff Signer', method: 'in_harbour', userAgent: 'test', ip: '203.0.113.5' }, systemActor);
  const link = await scope.insert<{ id: string }>('agreement_links', {
    parent_id: who.parentId, token_hash: createHash('sha256').update(randomBytes(32)).digest('hex'), expires_at: new Date(Date.now() + 86_400_000), email_status: 'sent',
  });
  await scope.insert('agreement_explain_requests', { agreement_id: parents.id, version_id: parents.version_id, parent_id: who.parentId, child_id: who.childId, link_id: link.id });
  await addKioskVisit(db, schoolId, '2026-03-02');
  await recordAccessDecision(db, schoolId, { personId: who.childId, status: 'restricted', reasonKind: 'parent_request', reasonDetail: 'Asked by a parent' }, systemActor, null);
  await scope.insert('agreement_renewal_settings', { renewal_month: 9, renewal_day: 1, next_renewal_on: '2027-09-01', chase_every_days: 14 });
  await scope.insert('agreement_renewals', { renewal_year: 2026 });
  await scope.insert('agreement_chasers', { person_id: who.parentId, agreement_id: parents.id, reason: 'chaser', email_status: 'sent', link_id: link.id });
  const run = await scope.insert<{ id: string }>('agreement_resign_runs', { agreement_id: parents.id, version_id: parents.version_id, finished_at: new Date(), sent: 1 });
  await scope.insert('agreement_resign_recipients', { run_id: run.id, parent_id: who.parentId, status: 'sent', link_id: link.id });
  const reminders = await scope.insert<{ id: string }>('agreement_reminder_runs', { agreement_id: parents.id, renewal_started_at: new Date(), finished_at: new Date(), sent: 1 });
  await scope.insert('agreement_reminder_recipients', { run_id: reminders.id, person_id: who.parentId, status: 'sent' });
}

/**
 * Gives a school a reception kiosk and one visit at it (a visitor who signed the visitors'
 * agreement on that visit), on visitOn (today in London when not given).
 */
export async function addKioskVisit(db: Database, schoolId: string, visitOn = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date())) {
  await ensureAgreements(db, schoolId);
  const kiosk = await schoolScope(db, schoolId).insert<{ id: string }>('agreement_kiosks', { name: 'Reception tablet', token_hash: createHash('sha256').update(randomBytes(32)).digest('hex') });
  const visitors = (await agreementForAudience(db, schoolId, 'visitors'))!;
  const visitor = await findOrAddVisitor(db, schoolId, { given_name: 'Tamsin', family_name: 'Visitor', organisation: 'Supply agency' }, systemActor, null);
  const sig = await recordSignature(db, schoolId, { agreementId: visitors.id, signerId: visitor.id, subjectId: visitor.id, signedName: 'Tamsin Visitor', method: 'kiosk', visiting: 'The office', visitOn }, systemActor);
  await recordKioskVisit(db, schoolId, { kioskId: kiosk.id, visitorId: visitor.id, signatureId: sig.id!, signedThisVisit: sig.created, visiting: 'The office', visitOn }, systemActor);
  return { kioskId: kiosk.id, visitorId: visitor.id, signatureId: sig.id! };
}
