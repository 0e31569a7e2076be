import { loadConfig } from './config';
import { startServer } from './server';
import { DataFolderInUseError } from './platform/db/embedded';

/** Process entry for `npm start` and `harbour serve`: start, and stop cleanly on a signal. */
async function main() {
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(loadConfig());
  } catch (e) {
    if (e instanceof DataFolderInUseError) {
      console.error(e.message);
      process.exit(3);
    }
    console.error((e as Error).message);
    process.exit(1);
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.log(`Harbour is stopping (${signal})`);
      server.stop().then(() => process.exit(0), (err) => {
        console.error('Harbour did not stop cleanly:', err);
        process.exit(1);
      });
    });
  }
}

void main();
