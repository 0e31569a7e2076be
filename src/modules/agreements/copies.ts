// Signed copies: one signature with the exact text signed, as a page, as a PDF to keep, and (for a
// visitor at the kiosk) by email. A copy is made from the version the signature points at, never
// from the current one. Sending a copy is tried after the signature is saved, and what became of
// it is saved too, so a copy that could not be sent is shown and can be sent again.
import PDFDocument from 'pdfkit';
import type { Database, Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import type { Mailer } from '../../platform/mail/mailer';
import { signingMethods, type SigningMethod } from './audiences';
import { textBlocks } from './service';

export interface SignedCopy {
  id: string;
  signer_id: string;
  subject_id: string;
  signed_name: string;
  method: SigningMethod;
  signed_at: Date;
  recorded_at: Date;
  visiting: string | null;
  visit_on: string | null;
  text_sha256: string;
  number: number;
  body: string;
  published_at: Date;
  title: string;
  audience: string;
  subject_given: string;
  subject_family: string;
  subject_email: string | null;
  copy_email_status: 'sent' | 'failed' | null;
  school_name: string;
}

/** One signature of the school with the version it points at, or null. */
export async function signedCopy(db: Queryable, schoolId: string, signatureId: string): Promise<SignedCopy | null> {
  const [s] = await schoolScope(db, schoolId).sql<SignedCopy>(
    `select s.id, s.signer_id, s.subject_id, s.signed_name, s.method, s.signed_at, s.recorded_at, s.visiting,
            to_char(s.visit_on, 'YYYY-MM-DD') as visit_on, s.text_sha256, s.copy_email_status,
            v.number, v.body, v.published_at, a.title, a.audience,
            sp.given_name as subject_given, sp.family_name as subject_family, sp.email as subject_email, sc.name as school_name
       from agreement_signatures s join agreement_versions v on v.id = s.version_id join agreements a on a.id = s.agreement_id
       join people sp on sp.id = s.subject_id join schools sc on sc.id = s.school_id
      where s.school_id = :school and s.id = $1`, [signatureId]);
  return s ?? null;
}

/** The signatures on record for one person (signed by them or for them), newest first. */
export async function signaturesOf(db: Queryable, schoolId: string, personId: string) {
  return schoolScope(db, schoolId).sql<{ id: string; title: string; number: number; method: SigningMethod; signed_at: Date; signed_name: string }>(
    `select s.id, a.title, v.number, s.method, s.signed_at, s.signed_name
       from agreement_signatures s join agreement_versions v on v.id = s.version_id join agreements a on a.id = s.agreement_id
      where s.school_id = :school and (s.subject_id = $1 or s.signer_id = $1) order by s.signed_at desc limit 50`, [personId]);
}

const londonDay = (d: Date | string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(d));
const londonTime = (d: Date | string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(d));

/** The facts of a signature, as label and value, in the order the page, the PDF and the email give them. */
export function copyFacts(s: SignedCopy): [string, string][] {
  const facts: [string, string][] = [
    ['Signed by', s.signed_name],
    ['For', `${s.subject_given} ${s.subject_family}`],
    // On paper, the day written on the paper is what counts, not the time it was entered.
    ['When', s.method === 'paper' ? `${londonDay(s.signed_at)} (entered ${londonDay(s.recorded_at)})` : londonTime(s.signed_at)],
    ['How', signingMethods[s.method]],
  ];
  if (s.visiting) facts.push(['Visiting', `${s.visiting}${s.visit_on ? `, ${londonDay(`${s.visit_on}T12:00:00Z`)}` : ''}`]);
  facts.push(['Version', `${s.number}, published ${londonDay(s.published_at)}`], ['Text fingerprint (SHA-256)', s.text_sha256]);
  return facts;
}

// The PDF's built-in Helvetica has the Windows-1252 characters only. Letters it lacks lose their
// accent where they have one (ł has none, so it is shown as l by the table below), and anything
// else becomes "?": the fingerprint, not the PDF's glyphs, is the proof of what was signed.
const cp1252Extra = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
const noDecomposition: Record<string, string> = { ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ø: 'o', Ø: 'O', ı: 'i', ß: 'ss', '\u2212': '-', '\u00a0': ' ' };
export function pdfSafe(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n' || (code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff) || cp1252Extra.includes(ch)) { out += ch; continue; }
    if (noDecomposition[ch]) { out += noDecomposition[ch]; continue; }
    const base = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
    out += [...base].every((c) => c.codePointAt(0)! >= 0x20 && c.codePointAt(0)! <= 0xff) && base ? base : '?';
  }
  return out;
}

/** The signed copy as an A4 PDF: the school, the facts of the signature, and the whole text signed. */
export function signedCopyPdf(s: SignedCopy, madeAt = new Date()): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4', margins: { top: 56, bottom: 56, left: 60, right: 60 }, lang: 'en-GB', displayTitle: true,
    info: { Title: pdfSafe(`Signed copy: ${s.title}`), Author: pdfSafe(s.school_name), Subject: `Signature ${s.id}, text SHA-256 ${s.text_sha256}`, Creator: 'Harbour' },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 120;
  doc.font('Helvetica').fontSize(10).fillColor('#505a5f').text(pdfSafe(`${s.school_name}: signed copy`));
  doc.moveDown(0.5).font('Helvetica-Bold').fontSize(18).fillColor('#0b0c0c').text(pdfSafe(s.title));
  doc.moveDown(0.8);
  for (const [label, value] of copyFacts(s)) {
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(10).text(label, 60, y, { width: 150 });
    const labelEnd = doc.y;
    doc.font(label.startsWith('Text fingerprint') ? 'Courier' : 'Helvetica').fontSize(label.startsWith('Text fingerprint') ? 7.8 : 10)
      .text(pdfSafe(value), 220, y, { width: width - 160 });
    doc.y = Math.max(labelEnd, doc.y) + 4;
  }
  doc.x = 60;
  doc.moveDown(1).font('Helvetica-Bold').fontSize(13).text('The text signed', { width });
  doc.moveDown(0.4).font('Helvetica').fontSize(11);
  for (const b of textBlocks(s.body)) {
    if (b.kind === 'ul') doc.list(b.items.map(pdfSafe), { width, bulletRadius: 2, textIndent: 12, bulletIndent: 4 });
    else doc.text(pdfSafe(b.text), { width });
    doc.moveDown(0.6);
  }
  doc.moveDown(1).fontSize(8.5).fillColor('#505a5f').text(pdfSafe(
    `Made by Harbour on ${londonTime(madeAt)}. The fingerprint is the SHA-256 of the text as signed: the same text always gives the same fingerprint, ` +
    'and changing a single character changes it. Harbour keeps the signature and the text it points at.'), { width });
  doc.end();
  return done;
}

/** The email that carries a visitor's copy: the school, the facts and the whole text. Nothing else. */
export function visitorCopyMessage(s: SignedCopy) {
  return {
    subject: `Your copy of ${s.school_name}'s agreement for visitors`,
    text: `You signed this agreement at ${s.school_name}.\n\n${copyFacts(s).map(([k, val]) => `${k}: ${val}`).join('\n')}\n\n${s.title}\n\n${s.body}\n`,
  };
}

/**
 * Emails a visitor the copy of what they signed at the kiosk, to the address they gave, and saves
 * what became of it on the signature. Called after the signature is committed: a failure loses
 * nothing, is shown to reception and can be sent again. Returns null when there is no such kiosk
 * signature or no address.
 */
export async function emailVisitorCopy(db: Database, mailer: Mailer, schoolId: string, signatureId: string, actor: Actor, ip: string | null) {
  const s = await signedCopy(db, schoolId, signatureId);
  if (!s || s.method !== 'kiosk' || !s.subject_email) return null;
  let status: 'sent' | 'failed' = 'sent';
  try {
    await mailer.send({ to: s.subject_email, ...visitorCopyMessage(s) });
  } catch {
    status = 'failed';
  }
  await db.transaction(async (tx) => {
    await schoolScope(tx, schoolId).update('agreement_signatures', { id: signatureId }, { copy_email_status: status, copy_email_attempted_at: new Date() });
    await audit(tx, { schoolId, actor, action: status === 'sent' ? 'agreement_copy.emailed' : 'agreement_copy.email_failed', recordType: 'agreement_signature', recordId: signatureId, ip });
  });
  return status;
}

/** Visitors' copies that could not be sent (and have not been sent since), newest first. */
export async function failedVisitorCopies(db: Queryable, schoolId: string, limit = 100) {
  return schoolScope(db, schoolId).sql<{ id: string; given_name: string; family_name: string; organisation_name: string | null; signed_at: Date; copy_email_attempted_at: Date }>(
    `select s.id, p.given_name, p.family_name, p.organisation_name, s.signed_at, s.copy_email_attempted_at
       from agreement_signatures s join people p on p.id = s.subject_id
      where s.school_id = :school and s.method = 'kiosk' and s.copy_email_status = 'failed'
      order by s.signed_at desc limit ${Number(limit)}`);
}
