// Measures start-up time to the first page: spawns `harbour serve` on a fresh data folder
// (cold: creates the database and the demo) and again on the same folder (warm), timing from
// the spawn to the first 200 from /sign-in. The last line is one JSON object of figures in ms.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startOnce(dataDir) {
  const port = await freePort();
  const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin/harbour.mjs'), 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/sign-in`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (child.exitCode !== null) throw new Error('harbour exited before serving');
    await new Promise((r) => setTimeout(r, 25));
  }
  const ms = Math.round(performance.now() - t0);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

const dir = mkdtempSync(join(tmpdir(), 'harbour-bench-'));
try {
  const cold = await startOnce(dir);
  console.log(`cold start (new database, demo seeded) to first page: ${cold} ms`);
  const warm = [];
  for (let i = 0; i < 3; i++) warm.push(await startOnce(dir));
  console.log(`warm starts to first page: ${warm.join(', ')} ms`);
  console.log(JSON.stringify({ coldStartMs: cold, warmStartMs: Math.min(...warm), warmStartMedianMs: warm.sort((a, b) => a - b)[1] }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
