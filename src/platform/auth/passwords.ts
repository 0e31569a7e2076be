import { hash, verify, Algorithm } from '@node-rs/argon2';

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const options = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/** Checks a password against its hash; false for a missing or malformed hash. */
export async function checkPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) {
    // Spend the same time as a real check, so a missing account is not revealed by timing.
    await hash(password, options);
    return false;
  }
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A message naming what is wrong with a new password, or null when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < 12) return 'Password must be at least 12 characters';
  if (password.length > 200) return 'Password must be 200 characters or fewer';
  if (email && password.toLowerCase().includes(email.split('@')[0].toLowerCase())) return 'Password must not contain your email address';
  if (/^(.)\1+$/.test(password)) return 'Password must not be one character repeated';
  return null;
}
