// Checks of the phrase libraries alone, shared by the rounds' tests (round5- to round7-*.test.ts): the
// trained second opinion has its own tests (model.test.ts), so these measure what the libraries hold.
import assert from 'node:assert/strict';
import { assessSearch, compileRulesOnly, type CompiledLexicon } from './matcher';
import { severityRank } from '../types';

export function libraryChecks(lex: CompiledLexicon = compileRulesOnly()) {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  return {
    lex,
    sev,
    risk: (q: string) => assessSearch(lex, q)?.risk ?? null,
    /** The search reaches the safeguarding lead's queue. */
    atLeastMedium: (q: string) => assert.ok(severityRank(sev(q) ?? 'low') >= severityRank('medium'), `${q} -> ${sev(q)}`),
    /** The search stays out of the queue (low, or nothing). */
    below: (q: string) => assert.ok(severityRank(sev(q) ?? 'low') < severityRank('medium'), `${q} -> ${sev(q)} (${assessSearch(lex, q)?.reason})`),
  };
}
