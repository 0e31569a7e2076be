// Puts the project's own `harbour` command on the project's PATH (node_modules/.bin), so
// `npx harbour ...` and npm scripts can call it. npm links dependencies' commands, not our own.
import { mkdirSync, symlinkSync, rmSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');
if (existsSync(join(root, 'node_modules'))) {
  mkdirSync(binDir, { recursive: true });
  const link = join(binDir, 'harbour');
  rmSync(link, { force: true });
  symlinkSync('../../bin/harbour.mjs', link);
}
