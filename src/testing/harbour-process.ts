// Runs the harbour command as a person runs it: a child process of `node bin/harbour.mjs`, with
// no database settings of the test run's (for the commands that need none, such as monitor scan).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** Runs `harbour ...args` to its end and returns its exit code and what it wrote. */
export function runHarbourWithoutDatabase(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
  delete env.NODE_TEST_CONTEXT;
  delete env.DATABASE_URL;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['bin/harbour.mjs', ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
