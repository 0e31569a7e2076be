import { z } from 'zod';
import { resolve } from 'node:path';

/** Everything Harbour reads from the environment, parsed once with clear errors. */
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  BASE_URL: z.string().url().optional(),
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().default('Harbour <harbour@localhost>'),
  SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional(),
  HARBOUR_NO_DEMO: z.enum(['0', '1', 'true', 'false']).optional(),
  TRUST_PROXY: z.string().optional(),
  // Read where evidence is sealed (incidents/evidence.ts); checked here so a mistyped key stops the start.
  EVIDENCE_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'EVIDENCE_KEY must be 64 hexadecimal characters (32 bytes), e.g. from: openssl rand -hex 32').optional(),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  baseUrl: string;
  smtpUrl?: string;
  mailFrom: string;
  sessionSecret?: string;
  seedDemo: boolean;
  production: boolean;
  logLevel: string;
  /** Whom to believe about the client's address (X-Forwarded-For): nobody unless set. */
  trustProxy: boolean | string | number;
}

/** Parses the environment; throws one message naming every variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Harbour cannot start: the environment has settings it cannot use:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    sessionSecret: e.SESSION_SECRET,
    seedDemo: !(e.HARBOUR_NO_DEMO === '1' || e.HARBOUR_NO_DEMO === 'true'),
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
  };
}

/**
 * TRUST_PROXY: unset (trust no proxy: the address is the socket's), "true" (trust every hop,
 * only behind a proxy that overwrites the header), a number of hops, or addresses/CIDRs.
 * Believing a forged X-Forwarded-For would let anyone dodge the sign-in rate limit and write
 * a false address into the audit trail, so the default is to believe nobody.
 */
function parseTrustProxy(v: string | undefined): boolean | string | number {
  if (!v || v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}
