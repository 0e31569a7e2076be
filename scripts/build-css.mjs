// Compiles Harbour's Sass (govuk-frontend with our own font and colours) to public/harbour.css,
// and copies the govuk-frontend assets we use. Skips the work when the output is newer than every input.
import * as sass from 'sass';
import { mkdirSync, writeFileSync, statSync, existsSync, cpSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src/styles/harbour.scss');
const outDir = join(root, 'public');
const out = join(outDir, 'harbour.css');

function newest(dir) {
  let t = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    t = Math.max(t, f.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const upToDate = existsSync(out) && statSync(out).mtimeMs > newest(join(root, 'src/styles'))
  && statSync(out).mtimeMs > statSync(join(root, 'node_modules/govuk-frontend/package.json')).mtimeMs;
if (!upToDate || process.argv.includes('--force')) {
  const result = sass.compile(source, {
    loadPaths: [join(root, 'node_modules/govuk-frontend/dist')],
    style: 'compressed',
    quietDeps: true,
    silenceDeprecations: ['import', 'global-builtin'],
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(out, result.css);
  console.log(`built ${out.replace(root + '/', '')} (${Math.round(result.css.length / 1024)} KiB)`);
}
const js = join(root, 'node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js');
mkdirSync(join(outDir, 'js'), { recursive: true });
cpSync(js, join(outDir, 'js/govuk-frontend.min.js'));
cpSync(join(root, 'static'), outDir, { recursive: true });
