// Test support: one of each incident record for a school, so tests of shared machinery (the
// archive, isolation, accessibility) cover this capability's tables without knowing their shape.
import type { Database } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { systemActor } from '../../platform/audit/audit';
import { ensureIncidentDefaults } from './matrix';
import { reportIncident } from './service';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evidenceKey, sealEvidence } from './evidence';

/**
 * Gives a school its default categories and matrices, and one triaged incident with a person
 * involved, an action, a referral and a follow-up task. reporterId and handlerId must be staff
 * of the school; pupilId a pupil. Returns the incident's id.
 */
export async function addIncidentRecords(db: Database, schoolId: string, who: { reporterId: string; handlerId: string; pupilId: string; summary?: string }): Promise<string> {
  return db.transaction(async (tx) => {
    await ensureIncidentDefaults(tx, schoolId);
    const scope = schoolScope(tx, schoolId);
    const [category] = await scope.sql(`select id from incident_categories where school_id = :school and code = 'cyberbullying'`);
    const [type] = await scope.sql(`select id from sanction_incident_types where school_id = :school and subject = 'learner' order by position limit 1`);
    const [warning] = await scope.sql(`select id from sanction_actions where school_id = :school and subject = 'learner' and kind = 'warning'`);
    const { id } = await reportIncident(tx, schoolId, {
      summary: who.summary ?? 'Unkind messages in a class chat', occurredAt: new Date(Date.now() - 86_400_000), location: 'Room 4', device: 'Laptop 12',
      cameToLight: 'pupil_told', categoryId: category.id, concernAbout: 'none', people: [{ personId: who.pupilId, role: 'alleged' }],
    }, { personId: who.reporterId, actor: systemActor, ip: null, via: 'browser' });
    await scope.sql(`update incidents set severity = 'medium', status = 'in_progress', handler_id = $2, learner_incident_type_id = $3 where school_id = :school and id = $1`, [id, who.handlerId, type.id]);
    await scope.insert('incident_actions', { incident_id: id, kind: 'sanction', by_person_id: who.handlerId, person_id: who.pupilId, sanction_action_id: warning.id, notes: 'Warned' });
    await scope.insert('incident_referrals', { incident_id: id, decision: 'not_referred', agency: 'police', reason: 'No crime suspected' });
    await scope.insert('incident_tasks', { incident_id: id, description: 'Check in with the class', owner_id: who.handlerId, due_on: '2030-01-01' });
    return id;
  });
}

/** Adds one evidence file (a small text file, encrypted under dataDir as uploads are) to an incident. Returns its id. */
export async function addEvidenceFile(db: Database, schoolId: string, incidentId: string, dataDir: string): Promise<string> {
  const data = Buffer.from('Notes typed up from the class chat');
  const id = randomUUID();
  mkdirSync(join(dataDir, 'evidence', schoolId), { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, 'evidence', schoolId, `${id}.bin`), sealEvidence(evidenceKey(dataDir), id, data), { mode: 0o600 });
  await schoolScope(db, schoolId).insert('incident_evidence', {
    id, incident_id: incidentId, filename: 'notes.txt', content_type: 'text/plain', size_bytes: data.length, sha256: createHash('sha256').update(data).digest('hex'),
  });
  return id;
}
