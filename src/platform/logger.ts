import pino from 'pino';

/** Harbour's structured logger. Never give it names, email addresses or safeguarding detail. */
export type Logger = pino.Logger;

export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'password', 'email', '*.password', '*.email'],
      censor: '[hidden]',
    },
  });
}
