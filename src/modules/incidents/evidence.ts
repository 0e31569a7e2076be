// Evidence files for an incident: size and type limits, kept outside the web root under
// DATA_DIR/evidence, encrypted at rest with AES-256-GCM, the SHA-256 of the file as uploaded
// recorded, and refused for suspected illegal material (which must never be copied).
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { audit, type Actor } from '../../platform/audit/audit';
import { dataSecret } from '../../platform/secrets';
import type { SchoolScope } from '../../platform/db/scope';
import { IncidentFieldError } from './service';
import type { IncidentScope } from './visibility';

/** The largest evidence file: 10 MB (a screenshot or a saved page, not a video). */
export const maxEvidenceBytes = 10 * 1024 * 1024;

/** The kinds of file accepted, each recognised by its first bytes (never by its name alone). */
const kinds: { type: string; ext: string[]; magic: (b: Buffer) => boolean }[] = [
  { type: 'image/png', ext: ['png'], magic: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', ext: ['jpg', 'jpeg'], magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', ext: ['gif'], magic: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  { type: 'image/webp', ext: ['webp'], magic: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { type: 'application/pdf', ext: ['pdf'], magic: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  { type: 'text/plain', ext: ['txt'], magic: (b) => !b.includes(0) && Buffer.from(b.toString('utf8'), 'utf8').equals(b) },
];
/** What the form tells people they may upload. */
export const acceptedEvidence = 'PNG, JPEG, GIF or WebP images, PDF files or plain text (.txt), up to 10 MB';

/** The key that encrypts evidence: EVIDENCE_KEY (64 hex characters) or a secret kept in the data folder. */
export function evidenceKey(dataDir: string): Buffer {
  const fromEnv = process.env.EVIDENCE_KEY;
  // A key that is set but malformed is refused, never quietly replaced by another one.
  if (fromEnv && !/^[0-9a-f]{64}$/i.test(fromEnv)) throw new Error('EVIDENCE_KEY must be 64 hexadecimal characters (32 bytes)');
  const hex = fromEnv || dataSecret(dataDir, 'evidence-key', 32);
  return Buffer.from(hex, 'hex');
}

/** Where an evidence file is kept: DATA_DIR/evidence/<school>/<evidence id>.bin. */
export const evidenceFile = (dataDir: string, schoolId: string, evidenceId: string) => join(dataDir, 'evidence', schoolId, `${evidenceId}.bin`);
const fileOf = evidenceFile;

/** Encrypts: 12-byte IV, 16-byte tag, ciphertext; the evidence id is bound in as associated data. */
export function sealEvidence(key: Buffer, evidenceId: string, data: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(evidenceId));
  const body = Buffer.concat([c.update(data), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

/** Decrypts what sealEvidence wrote (throws if it was changed on disk or moved to another record). */
export function openEvidence(key: Buffer, evidenceId: string, sealed: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(evidenceId));
  d.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
}

/** A file name safe to keep and to send back in a header: no path, no control characters. */
function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  return base.replace(/[^\w .()-]/g, '_').replace(/^\.+/, '').slice(0, 200) || 'evidence';
}

/**
 * Who may add evidence: anyone who sees the incident in full, and its reporter. Returns the
 * incident, or null when the viewer may not know it exists.
 */
async function incidentForUpload(incidents: IncidentScope, incidentId: string) {
  const incident = await incidents.get(incidentId);
  if (!incident) return null;
  const viewer = incidents.viewer;
  const isReporter = viewer.kind === 'person' && incident.reported_by === viewer.personId;
  if (incident.access !== 'full' && !isReporter) return null;
  return incident;
}

/** Whether evidence uploads are refused for this incident (its category is suspected illegal material). */
export async function evidenceRefused(incidents: IncidentScope, categoryId: string): Promise<boolean> {
  const [c] = await incidents.scope.sql<{ s: boolean }>('select suspected_illegal_material as s from incident_categories where school_id = :school and id = $1', [categoryId]);
  return !!c?.s;
}

/** A file as a form sent it (truncated when it was cut off at the size limit). */
export interface UploadedFile { filename: string; data: Buffer; truncated: boolean }

/** A checked evidence file, sealed on disk under its id, with what its row records. */
export interface StoredEvidence { id: string; path: string; filename: string; content_type: string; size_bytes: number; sha256: string }

/**
 * Checks one file's size and kind (by its first bytes, never its name alone). Throws an
 * IncidentFieldError naming the field; `named` puts the file's name in the message, for a form
 * that takes several files.
 */
export function checkEvidenceFile(file: UploadedFile, field = 'evidence', named = false): { type: string; filename: string } {
  const filename = cleanName(file.filename);
  const says = (text: string) => (named ? `"${filename}" was not added: ${text.charAt(0).toLowerCase()}${text.slice(1)}` : text);
  if (!file.filename || !file.data.length) throw new IncidentFieldError(field, named ? `"${filename}" was not added: the file is empty` : 'Choose a file to upload');
  if (file.truncated || file.data.length > maxEvidenceBytes) throw new IncidentFieldError(field, says('The file must be smaller than 10 MB'));
  const ext = (file.filename.split('.').pop() ?? '').toLowerCase();
  const kind = kinds.find((k) => k.ext.includes(ext));
  if (!kind || !kind.magic(file.data)) throw new IncidentFieldError(field, says(`The file must be one of: ${acceptedEvidence}`));
  return { type: kind.type, filename };
}

/**
 * Seals a checked file under DATA_DIR/evidence/<school>/<new id>.bin and works out its SHA-256.
 * No row is written: the caller records it in its transaction and removes the file (see
 * removeEvidenceFiles) if that transaction does not commit.
 */
export function writeEvidenceFile(dataDir: string, schoolId: string, file: UploadedFile, checked: { type: string; filename: string }): StoredEvidence {
  const id = randomUUID();
  const sha256 = createHash('sha256').update(file.data).digest('hex');
  const path = fileOf(dataDir, schoolId, id);
  mkdirSync(join(dataDir, 'evidence', schoolId), { recursive: true, mode: 0o700 });
  writeFileSync(path, sealEvidence(evidenceKey(dataDir), id, file.data), { mode: 0o600, flag: 'wx' });
  return { id, path, filename: checked.filename, content_type: checked.type, size_bytes: file.data.length, sha256 };
}

/** Removes evidence files from disk (ones whose rows were never committed, or were deleted). */
export function removeEvidenceFiles(paths: string[]) {
  for (const p of paths) rmSync(p, { force: true });
}

/** The message when evidence is offered for suspected illegal material. */
export const illegalEvidenceText = 'Evidence cannot be uploaded for suspected illegal material: copying it may itself be a crime. Leave the device as it is and tell the safeguarding lead.';

/**
 * Stores one evidence file for an incident: checks its size and kind, refuses it for suspected
 * illegal material, encrypts it under DATA_DIR/evidence and records its SHA-256. Returns the
 * evidence id, or null when the incident is not the viewer's to add to. The file's path is
 * pushed to `written`, for the caller to remove if its transaction fails.
 */
export async function addEvidence(incidents: IncidentScope, dataDir: string, incidentId: string, file: UploadedFile, by: { personId: string | null; actor: Actor; ip: string | null }, written: string[] = []) {
  const incident = await incidentForUpload(incidents, incidentId);
  if (!incident) return null;
  if (await evidenceRefused(incidents, incident.category_id)) throw new IncidentFieldError('evidence', illegalEvidenceText);
  const stored = writeEvidenceFile(dataDir, incidents.scope.schoolId, file, checkEvidenceFile(file));
  written.push(stored.path);
  await recordEvidence(incidents.scope, { incidentId }, stored, by);
  return stored.id;
}

/**
 * Records a stored file's row against an incident or a report's draft, with its audit entry
 * (the draft's own, so nothing is said about an incident before it exists).
 */
export async function recordEvidence(scope: SchoolScope, owner: { incidentId: string } | { draftId: string }, stored: StoredEvidence, by: { personId: string | null; actor: Actor; ip: string | null }) {
  const onIncident = 'incidentId' in owner;
  await scope.insert('incident_evidence', {
    id: stored.id, incident_id: onIncident ? owner.incidentId : null, draft_id: onIncident ? null : owner.draftId,
    filename: stored.filename, content_type: stored.content_type, size_bytes: stored.size_bytes, sha256: stored.sha256,
    uploaded_by: by.personId, uploaded_by_user: by.actor.userId,
  });
  await audit(scope.db, {
    schoolId: scope.schoolId, actor: by.actor, action: onIncident ? 'incident.evidence_added' : 'incident.draft_evidence_added',
    recordType: onIncident ? 'incident' : 'incident_draft', recordId: onIncident ? owner.incidentId : owner.draftId, ip: by.ip,
    detail: { evidenceId: stored.id, sha256: stored.sha256, bytes: stored.size_bytes },
  });
}

/** The files kept with one of the user's drafts (none when the draft is not theirs). */
export async function draftEvidenceOf(scope: SchoolScope, userId: string, draftId: string | null) {
  if (!draftId) return [];
  return scope.sql<{ id: string; filename: string; size_bytes: number }>(
    `select e.id, e.filename, e.size_bytes from incident_evidence e join incident_drafts d on d.id = e.draft_id and d.user_id = $1
      where e.school_id = :school and e.draft_id = $2 order by e.uploaded_at, e.filename`, [userId, draftId]);
}

/**
 * Deletes files kept with one of the user's drafts (those with the ids given, or all of them),
 * with an audit entry each. Returns their paths, to remove from disk once the transaction commits.
 */
export async function deleteDraftEvidence(scope: SchoolScope, dataDir: string, userId: string, draftId: string, evidenceIds: string[] | 'all', by: { actor: Actor; ip: string | null }) {
  const rows = await scope.sql<{ id: string; sha256: string }>(
    `delete from incident_evidence e using incident_drafts d
      where e.school_id = :school and d.id = e.draft_id and d.user_id = $1 and e.draft_id = $2 and ($3::uuid[] is null or e.id = any($3::uuid[]))
      returning e.id, e.sha256`, [userId, draftId, evidenceIds === 'all' ? null : evidenceIds]);
  for (const r of rows) {
    await audit(scope.db, { schoolId: scope.schoolId, actor: by.actor, action: 'incident.draft_evidence_removed', recordType: 'incident_draft', recordId: draftId, ip: by.ip, detail: { evidenceId: r.id, sha256: r.sha256 } });
  }
  return rows.map((r) => fileOf(dataDir, scope.schoolId, r.id));
}

/**
 * Moves the files kept with one of the user's drafts onto the incident it became (the same ids, so the sealed
 * files stay as they are), each audited as evidence added to the incident. Returns how many.
 */
export async function attachDraftEvidence(scope: SchoolScope, userId: string, draftId: string, incidentId: string, by: { actor: Actor; ip: string | null }) {
  const rows = await scope.sql<{ id: string; sha256: string; size_bytes: number }>(
    `update incident_evidence e set incident_id = $3, draft_id = null from incident_drafts d
      where e.school_id = :school and d.id = e.draft_id and d.user_id = $1 and e.draft_id = $2 returning e.id, e.sha256, e.size_bytes`, [userId, draftId, incidentId]);
  for (const r of rows) {
    await audit(scope.db, { schoolId: scope.schoolId, actor: by.actor, action: 'incident.evidence_added', recordType: 'incident', recordId: incidentId, ip: by.ip, detail: { evidenceId: r.id, sha256: r.sha256, bytes: r.size_bytes, fromDraft: draftId } });
  }
  return rows.length;
}

/** The evidence on an incident the viewer sees in full (empty otherwise). */
export async function evidenceOf(incidents: IncidentScope, incidentId: string) {
  return incidents.sql(
    `select e.id, e.filename, e.content_type, e.size_bytes, e.sha256, e.uploaded_at, p.given_name || ' ' || p.family_name as uploaded_by_name
       from incident_evidence e join visible_incidents v on v.id = e.incident_id and v.access = 'full' left join people p on p.id = e.uploaded_by
      where e.incident_id = $1 order by e.uploaded_at`, [incidentId]);
}

/**
 * One evidence file for a viewer who sees its incident in full, decrypted and checked against
 * its recorded SHA-256; every download is audited. Null when it is not theirs to see.
 */
export async function downloadEvidence(incidents: IncidentScope, dataDir: string, incidentId: string, evidenceId: string, by: { actor: Actor; ip: string | null }) {
  const [row] = await incidents.sql<{ id: string; filename: string; content_type: string; sha256: string }>(
    `select e.id, e.filename, e.content_type, e.sha256 from incident_evidence e join visible_incidents v on v.id = e.incident_id and v.access = 'full'
      where e.incident_id = $1 and e.id = $2`, [incidentId, evidenceId]);
  if (!row) return null;
  const data = openEvidence(evidenceKey(dataDir), row.id, readFileSync(fileOf(dataDir, incidents.scope.schoolId, row.id)));
  if (createHash('sha256').update(data).digest('hex') !== row.sha256) throw new Error('evidence file does not match its recorded SHA-256');
  await audit(incidents.scope.db, { schoolId: incidents.scope.schoolId, actor: by.actor, action: 'incident.evidence_downloaded', recordType: 'incident', recordId: incidentId, ip: by.ip, detail: { evidenceId } });
  return { ...row, data };
}
