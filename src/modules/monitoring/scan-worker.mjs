// Starts a scan's worker thread (scan-worker.ts). Harbour runs its TypeScript through tsx with no
// build step. Where this thread can already load .ts (node --import tsx, whose flags a worker
// inherits, or loader hooks that the worker shares with the main thread) the worker is imported at
// once; otherwise (bin/harbour.mjs registers tsx in the main thread only) tsx is registered here
// first. The first try names the module with a query, since a failed import stays failed for its URL.
try {
  await import('./scan-worker.ts?thread');
} catch (e) {
  if (e?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
  const { register } = await import('tsx/esm/api');
  register();
  await import('./scan-worker.ts');
}
