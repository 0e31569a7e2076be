#!/usr/bin/env node
// The harbour command. It runs Harbour's TypeScript sources through tsx, so there is no build step.
import { register } from 'tsx/esm/api';
register();
const { run } = await import('../src/cli/index.ts');
await run(process.argv);
