import { generateSecret, generateURI, verifySync } from 'otplib';
import type { Database, Queryable } from '../../platform/db/database';
import { checkPassword, hashPassword } from '../../platform/auth/passwords';
import { audit, type Actor } from '../../platform/audit/audit';
import { issueToken } from '../../platform/auth/tokens';
import type { Mailer } from '../../platform/mail/mailer';
import { endSessionsOf } from '../../platform/auth/session-store';

/** Failed attempts before an account is locked, and for how long. */
export const lockout = { attempts: 5, minutes: 15 };

export type SignInResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid' | 'locked' };

/**
 * Checks an email and password. Five failures in a row lock the account for 15 minutes; the
 * answer never says whether the email exists.
 */
export async function signIn(db: Database, email: string, password: string, ip: string): Promise<SignInResult> {
  const u = (await db.query('select id, password_hash, locked_until, disabled_at, failed_sign_ins from users where lower(email) = lower($1)', [email])).rows[0];
  if (u?.locked_until && new Date(u.locked_until) > new Date()) {
    await checkPassword(null, password);
    return { ok: false, reason: 'locked' };
  }
  const good = await checkPassword(u?.password_hash ?? null, password);
  if (!u || !good || u.disabled_at) {
    if (u) {
      await db.transaction(async (tx) => {
        const r = (await tx.query<{ failed_sign_ins: number }>(
          `update users set failed_sign_ins = failed_sign_ins + 1,
             locked_until = case when failed_sign_ins + 1 >= $2 then now() + make_interval(mins => $3) else locked_until end
           where id = $1 returning failed_sign_ins`,
          [u.id, lockout.attempts, lockout.minutes],
        )).rows[0];
        await audit(tx, { schoolId: null, actor: { userId: u.id, label: 'sign-in attempt' }, action: r.failed_sign_ins >= lockout.attempts ? 'user.locked_out' : 'user.sign_in_failed', recordType: 'user', recordId: u.id, ip });
      });
      const locked = (u.failed_sign_ins + 1) >= lockout.attempts;
      return { ok: false, reason: locked ? 'locked' : 'invalid' };
    }
    return { ok: false, reason: 'invalid' };
  }
  return { ok: true, userId: u.id };
}

/** Records a completed sign-in (after the second factor where one is needed). */
export async function completeSignIn(db: Database, userId: string, ip: string, label: string) {
  await db.transaction(async (tx) => {
    await tx.query('update users set failed_sign_ins = 0, locked_until = null, last_sign_in_at = now() where id = $1', [userId]);
    await audit(tx, { schoolId: null, actor: { userId, label }, action: 'user.signed_in', recordType: 'user', recordId: userId, ip });
  });
}

/** Checks a six-digit code against the user's enrolled secret (one step either side allowed). */
export async function checkTotp(db: Queryable, userId: string, code: string): Promise<boolean> {
  const u = (await db.query('select totp_secret from users where id = $1 and totp_enabled_at is not null', [userId])).rows[0];
  if (!u?.totp_secret || !/^\d{6}$/.test(code)) return false;
  return verifySync({ secret: u.totp_secret, token: code, epochTolerance: 30 } as any).valid;
}

export function newTotpSecret(email: string) {
  const secret = generateSecret();
  return { secret, uri: generateURI({ issuer: 'Harbour', label: email, secret }) };
}

export function totpMatches(secret: string, code: string) {
  return /^\d{6}$/.test(code) && verifySync({ secret, token: code, epochTolerance: 30 } as any).valid;
}

/** Turns on two-factor sign-in with a secret the user has proved they hold. */
export async function enableTotp(db: Database, userId: string, secret: string, actor: Actor, ip: string) {
  await db.transaction(async (tx) => {
    await tx.query('update users set totp_secret = $2, totp_enabled_at = now() where id = $1', [userId, secret]);
    await audit(tx, { schoolId: null, actor, action: 'user.two_factor_enabled', recordType: 'user', recordId: userId, ip });
  });
}

/** Emails a password reset link when the address has an account; silent otherwise. */
export async function requestPasswordReset(db: Database, mailer: Mailer, baseUrl: string, email: string, ip: string) {
  const u = (await db.query('select id from users where lower(email) = lower($1) and disabled_at is null', [email])).rows[0];
  if (!u) return;
  const token = await db.transaction(async (tx) => {
    const t = await issueToken(tx, u.id, 'reset', null);
    await audit(tx, { schoolId: null, actor: { userId: u.id, label: 'password reset request' }, action: 'user.password_reset_requested', recordType: 'user', recordId: u.id, ip });
    return t;
  });
  await mailer.send({
    to: email,
    subject: 'Reset your Harbour password',
    text: `Someone asked to reset the password for this Harbour account.\n\nTo choose a new password, open this link within an hour:\n${baseUrl}/reset-password/${token}\n\nIf it was not you, ignore this message: your password has not changed.\n`,
  });
}

/** Sets a new password from a reset or invitation, ends other sessions and clears any lockout. */
export async function setPassword(tx: Queryable, userId: string, password: string, actor: Actor, ip: string, action: string) {
  await tx.query('update users set password_hash = $2, failed_sign_ins = 0, locked_until = null where id = $1', [userId, await hashPassword(password)]);
  await endSessionsOf(tx as any, userId);
  await audit(tx, { schoolId: null, actor, action, recordType: 'user', recordId: userId, ip });
}

/** Invites a person of the school to sign in: creates their account and emails a link. */
export async function invitePerson(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, personId: string, actor: Actor, ip: string) {
  const { token, email, schoolName } = await db.transaction(async (tx) => {
    const p = (await tx.query(
      `select p.id, p.given_name, p.family_name, p.email, s.name as school_name from people p join schools s on s.id = p.school_id
        where p.id = $1 and p.school_id = $2 and p.left_on is null`, [personId, schoolId])).rows[0];
    if (!p) throw Object.assign(new Error('no such person'), { statusCode: 404 });
    if (!p.email) throw Object.assign(new Error('This person has no email address. Add one to their record first.'), { field: 'email' });
    const already = (await tx.query('select 1 from memberships where person_id = $1', [personId])).rowCount;
    if (already) throw Object.assign(new Error('This person already has an account.'), { field: 'person' });
    let user = (await tx.query('select id from users where lower(email) = lower($1)', [p.email])).rows[0];
    if (!user) user = (await tx.query('insert into users (email, display_name) values ($1, $2) returning id', [p.email, `${p.given_name} ${p.family_name}`])).rows[0];
    await tx.query('insert into memberships (user_id, school_id, person_id) values ($1, $2, $3)', [user.id, schoolId, personId]);
    const t = await issueToken(tx, user.id, 'invite', schoolId);
    await audit(tx, { schoolId, actor, action: 'account.invited', recordType: 'person', recordId: personId, ip });
    return { token: t, email: p.email as string, schoolName: p.school_name as string };
  });
  await mailer.send({
    to: email,
    subject: `You are invited to Harbour for ${schoolName}`,
    text: `${schoolName} uses Harbour to run its online safety policy, and has invited you to sign in.\n\nTo choose your password, open this link within seven days:\n${baseUrl}/invitation/${token}\n`,
  });
}
