// Runs one Harbour command from a bundle of its TypeScript, made on demand and kept between runs, so
// that it starts without tsx. bin/harbour.mjs uses it for `harbour monitor scan` alone: there a
// quarter of a second of tsx (its loader thread, and each module resolved and loaded through it) is
// a large part of a scan. Every other command, the server and the tests run the sources through
// tsx as before; there is no build step to remember.
//
// The bundle is made with esbuild (tsx's own, with tsx's settings: the running Node as target,
// names kept) from the command's module and every Harbour source it imports; packages stay outside
// it, imported from where Node finds them. Each source keeps its own import.meta (its url, dirname
// and filename), so files it reads beside itself (the phrase libraries) and worker threads it starts
// are found where they are, and are read afresh on every run.
//
// The bundle is never stale. Beside it a manifest lists every source it was made from with its
// SHA-256 (of the text esbuild was given), the bundle's own SHA-256, and a key made of the Node
// version, this file, package.json, package-lock.json and tsconfig.json. Before each run every
// listed source and the bundle are hashed again (a few milliseconds): a source changed, added to the
// imports (which changes the importing file) or removed, a damaged bundle or a changed key means the
// bundle is made again before it is used, and a bundle made while a source changed is not used.
// When no bundle can be made or loaded (no esbuild, a folder that cannot be written, an import.meta
// property other than those three, an import() of a name worked out as it runs), loadBundle returns
// null and the command runs through tsx as before. Files are written aside and renamed into place,
// so commands started together never read half of one.
//
// Where: HARBOUR_CACHE_DIR, else node_modules/.cache/harbour in Harbour's folder (as lexicon-cache.ts).
// HARBOUR_NO_CACHE=1 turns it off; HARBOUR_CACHE_DEBUG=1 says on standard error what it did.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');
const format = 'harbour-bundle 1';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function debug(message) {
  if (process.env.HARBOUR_CACHE_DEBUG === '1') process.stderr.write(`harbour cache (${Math.round(performance.now())} ms): ${message}\n`);
}

/** The cache folder, or null when caching is turned off (the same rule as lexicon-cache.ts). */
export function cacheDir(env = process.env) {
  if (env.HARBOUR_NO_CACHE === '1') return null;
  return env.HARBOUR_CACHE_DIR ? resolve(env.HARBOUR_CACHE_DIR) : join(root, 'node_modules', '.cache', 'harbour');
}

/** What a bundle depends on besides its sources: Node, this file, the packages and the TypeScript settings. */
function environmentKey() {
  const parts = [format, process.version, process.arch, sha256(readFileSync(fileURLToPath(import.meta.url)))];
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) {
    const p = join(root, f);
    parts.push(`${f}:${existsSync(p) ? sha256(readFileSync(p)) : '-'}`);
  }
  return sha256(parts.join('\0'));
}

function writeWhole(file, data) {
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(aside, data);
    renameSync(aside, file);
  } catch (e) {
    try {
      unlinkSync(aside);
    } catch { /* never written */ }
    throw e;
  }
}

/** The sources as listed in a manifest, if each is still as it was: a map of path to SHA-256; else null. */
function unchanged(inputs) {
  const hashes = new Map();
  for (const [rel, digest] of inputs) {
    const p = resolve(root, rel);
    let now;
    try {
      now = sha256(readFileSync(p));
    } catch {
      return null;
    }
    if (now !== digest) return null;
    hashes.set(p, digest);
  }
  return hashes;
}

/** Whether the manifest's bundle is there as it was written (not damaged, cut short or edited). */
function bundleIntact(dir, manifest) {
  if (typeof manifest.bundle !== 'string' || !/^bundle-[0-9a-f]+-[0-9a-f]+\.mjs$/.test(manifest.bundle)) return false;
  try {
    return sha256(readFileSync(join(dir, manifest.bundle))) === manifest.bundleSha256;
  } catch {
    return false;
  }
}

async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    // Not where Harbour's own imports find it: tsx's copy.
    const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
    return await import(pathToFileURL(fromTsx.resolve('esbuild')).href);
  }
}

const loaders = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

/** Bundles entry (a path from Harbour's folder); returns the bundle's text, its source map and its sources with their SHA-256. */
async function build(entry, outfile) {
  const esbuild = await loadEsbuild();
  const inputs = new Map();
  const harbour = {
    name: 'harbour',
    setup(b) {
      // Packages are imported from where Node finds them (Harbour's node_modules), not bundled.
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        return { path: import.meta.resolve(args.path), external: true };
      });
      // Each source as read (and hashed), with its own import.meta.
      b.onLoad({ filter: /.*/ }, (args) => {
        const loader = loaders[extname(args.path)];
        if (!loader) throw new Error(`${relative(root, args.path)}: not a kind of file a bundle holds`);
        const data = readFileSync(args.path);
        inputs.set(args.path, sha256(data));
        if (loader === 'json') return { contents: data, loader };
        const text = data.toString('utf8');
        const other = /\bimport\.meta\.(?!(?:url|dirname|filename)\b)[A-Za-z_$]/.exec(text);
        if (other) throw new Error(`${relative(root, args.path)}: ${other[0]}... is not available in a bundle`);
        // import(a variable) would be resolved from the bundle's folder, not the source's.
        if (/\bimport\(\s*(?!['"`]|\))/.test(text)) throw new Error(`${relative(root, args.path)}: an import() of a name worked out as it runs cannot be bundled`);
        // On the first line, so the source map's lines stay those of the file.
        const meta = `const __harbour_import_meta = { url: ${JSON.stringify(pathToFileURL(args.path).href)}, dirname: ${JSON.stringify(dirname(args.path))}, filename: ${JSON.stringify(args.path)} }; `;
        return { contents: meta + text, loader };
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    keepNames: true,
    sourcemap: 'linked',
    define: { 'import.meta': '__harbour_import_meta' },
    plugins: [harbour],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  if (!code || !map) throw new Error('esbuild gave no bundle');
  return { code: code.contents, map: map.contents, inputs };
}

/**
 * The module entry (a path from Harbour's folder, e.g. 'src/modules/monitoring/scan-command.ts'),
 * loaded from a bundle that is up to date with every source it holds, or null when there is none to
 * be had (then run the sources through tsx).
 */
export async function loadBundle(entry) {
  const dir = cacheDir();
  if (!dir) return null;
  try {
    const id = sha256(`${root}\0${entry}`).slice(0, 16);
    const manifestFile = join(dir, `bundle-${id}.json`);
    const key = environmentKey();
    let manifest = null;
    try {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    } catch { /* none yet */ }
    let sources = manifest && manifest.key === key && manifest.entry === entry && Array.isArray(manifest.inputs) ? unchanged(manifest.inputs) : null;
    if (sources && bundleIntact(dir, manifest)) {
      debug(`${entry}: bundle ${manifest.bundle} is up to date`);
    } else {
      const started = performance.now();
      mkdirSync(dir, { recursive: true });
      // Named for its content; the map's name is fixed in the bundle's last line, so it is set before building.
      const aside = join(dir, `bundle-${id}-${process.pid}-${Math.random().toString(36).slice(2)}.mjs`);
      const built = await build(entry, aside);
      const inputs = [...built.inputs].map(([p, digest]) => [relative(root, p), digest]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      // A source changed while it was bundled: the bundle may hold some files old and some new.
      sources = unchanged(inputs);
      if (!sources) throw new Error('a source changed while it was bundled');
      const name = `bundle-${id}-${sha256(built.code).slice(0, 16)}.mjs`;
      const code = Buffer.from(Buffer.from(built.code).toString('utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${name}.map\n`));
      writeWhole(join(dir, `${name}.map`), built.map);
      writeWhole(join(dir, name), code);
      writeWhole(manifestFile, `${JSON.stringify({ key, entry, bundle: name, bundleSha256: sha256(code), inputs }, null, 1)}\n`);
      // Earlier bundles of this entry go; a run still starting on one falls back to tsx if it finds it gone.
      for (const n of readdirSync(dir)) {
        if (n.startsWith(`bundle-${id}-`) && n !== name && n !== `${name}.map`) {
          try {
            unlinkSync(join(dir, n));
          } catch { /* gone already */ }
        }
      }
      manifest = { bundle: name };
      debug(`${entry}: bundled ${inputs.length} sources into ${name} in ${Math.round(performance.now() - started)} ms`);
    }
    // The sources the running code was made from, for lexicon-cache.ts's key.
    globalThis[Symbol.for('harbour.bundledSources')] = sources;
    // Stack traces name the TypeScript, as under tsx.
    process.setSourceMapsEnabled(true);
    return await import(pathToFileURL(join(dir, manifest.bundle)).href);
  } catch (e) {
    debug(`${entry}: no bundle (${e instanceof Error ? e.message : e}); running through tsx`);
    delete globalThis[Symbol.for('harbour.bundledSources')];
    return null;
  }
}
