import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config';

test('the environment is read with defaults', () => {
  const c = loadConfig({} as NodeJS.ProcessEnv);
  assert.equal(c.port, 3000);
  assert.equal(c.baseUrl, 'http://localhost:3000');
  assert.equal(c.trustProxy, false);
  assert.equal(c.seedDemo, true);
});

test('every unusable setting is named in one message, and a mistyped evidence key stops the start', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', EVIDENCE_KEY: 'not-a-key', SESSION_SECRET: 'short' } as unknown as NodeJS.ProcessEnv),
    (e: Error) => /PORT/.test(e.message) && /EVIDENCE_KEY must be 64 hexadecimal characters/.test(e.message) && /SESSION_SECRET/.test(e.message),
  );
  assert.doesNotThrow(() => loadConfig({ EVIDENCE_KEY: 'ab'.repeat(32) } as unknown as NodeJS.ProcessEnv));
});
