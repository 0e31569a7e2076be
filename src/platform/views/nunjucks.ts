import nunjucks from 'nunjucks';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const govuk = join(dirname(require.resolve('govuk-frontend/package.json')), 'dist');

/**
 * The template environment: our layouts and macros, each capability's views (named
 * "<module>/views/<page>.njk"), and govuk-frontend's component macros. Autoescape is on.
 */
export function createViews(opts: { watch?: boolean } = {}): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader([join(here, 'templates'), join(here, '../../modules'), govuk], { watch: opts.watch, noCache: false }),
    { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true },
  );
  const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
  const dateTimeFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' });
  env.addFilter('date', (v: unknown) => (v ? dateFmt.format(new Date(String(v).length === 10 ? `${v}T12:00:00Z` : (v as string))) : ''));
  env.addFilter('dateTime', (v: unknown) => (v ? dateTimeFmt.format(new Date(v as string)) : ''));
  env.addFilter('roleName', (r: string, names: Record<string, string>) => names[r] ?? r);
  return env;
}
