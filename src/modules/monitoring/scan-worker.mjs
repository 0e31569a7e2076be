// Starts a scan's worker thread (scan-worker.ts). Harbour runs its TypeScript through tsx with no
// build step. The worker is started with no flags of the main thread's (so not node --import tsx),
// and bin/harbour.mjs registers tsx in the main thread only. Where this thread can already load
// Harbour's .ts (loader hooks a worker shares with the main thread, on newer Node) the worker is
// imported at once; otherwise (Node 20; Node's own type stripping cannot resolve imports without
// extensions) tsx is registered here and the import tried again. The first try names the module with a query, as a failed import stays failed for its URL.
try {
  await import('./scan-worker.ts?thread');
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./scan-worker.ts');
}
