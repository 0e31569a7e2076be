#!/usr/bin/env node
// The harbour command. It runs Harbour's TypeScript sources through tsx, so there is no build step.
// `harbour monitor scan` alone starts from a bundle of its sources instead, made on demand and made
// again whenever a source changes (src/cli/bundle.mjs): a scan is often a matter of seconds, and tsx's
// start-up was a large part of it. Without a bundle (none can be made) it runs through tsx too.
const [command, subcommand] = process.argv.slice(2);
let ran = false;
if (command === 'monitor' && subcommand === 'scan') {
  const { loadBundle } = await import('../src/cli/bundle.mjs');
  const scan = await loadBundle('src/modules/monitoring/scan-command.ts');
  if (scan) {
    await scan.scanCommandLine(process.argv);
    ran = true;
  }
}
if (!ran) {
  const { register } = await import('tsx/esm/api');
  register();
  const { run } = await import('../src/cli/index.ts');
  await run(process.argv);
}
