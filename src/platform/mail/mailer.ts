import nodemailer from 'nodemailer';
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/** A message Harbour sends. Safeguarding detail never goes in one: only that there is something to see, and a link. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/**
 * SMTP through nodemailer when SMTP_URL is set; otherwise each message is written to
 * outboxDir as <time>-<id>.eml (the raw message) and .json (to, subject, text), which is
 * what development and the tests read.
 */
export function createMailer(opts: { smtpUrl?: string; from: string; outboxDir: string }): Mailer {
  if (opts.smtpUrl) {
    const transport = nodemailer.createTransport(opts.smtpUrl);
    return {
      async send(m) {
        await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text });
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m) {
      const info = await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text });
      mkdirSync(opts.outboxDir, { recursive: true, mode: 0o700 });
      const base = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
      // Written under a temporary name, then renamed, so a reader never sees half a message.
      const tmp = join(opts.outboxDir, `.${base}.tmp`);
      writeFileSync(tmp, JSON.stringify({ from: opts.from, ...m, sentAt: new Date().toISOString() }, null, 2), { mode: 0o600 });
      writeFileSync(join(opts.outboxDir, `${base}.eml`), info.message as Buffer, { mode: 0o600 });
      renameSync(tmp, join(opts.outboxDir, `${base}.json`));
    },
  };
}
