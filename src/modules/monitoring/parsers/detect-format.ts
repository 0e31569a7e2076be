// Works out a log's format from its first lines.
import type { LogFormat } from '../types';
import { mapHeader, sniffDelimiter } from './csv';
import { splitCsvLine } from './csv-line';
import { parseE2guardianCsvLine, parseE2guardianLine } from './e2guardian';
import { parseSquidLine } from './squid';
import { isMalformed, type ParseResult } from './types';

const ok = (r: ParseResult) => !!r && !isMalformed(r);

/** The format most of the first lines fit, or null when none fits. */
export function detectFormat(firstLines: string[]): LogFormat | null {
  const lines = firstLines.filter((l) => l.trim()).slice(0, 20);
  if (!lines.length) return null;
  const header = lines[0].replace(/^\ufeff/, '');
  const headerCells = splitCsvLine(header, sniffDelimiter(header));
  if (headerCells && headerCells.length >= 3 && !/^\d/.test(header) && mapHeader(headerCells)) return 'csv';
  const score = (fn: (l: string) => ParseResult) => lines.filter((l) => ok(fn(l))).length;
  const scores: [LogFormat, number][] = [
    ['squid', score(parseSquidLine)],
    ['e2guardian', score(parseE2guardianLine)],
    ['e2guardian-csv', score(parseE2guardianCsvLine)],
  ];
  scores.sort((a, b) => b[1] - a[1]);
  return scores[0][1] > 0 && scores[0][1] >= lines.length / 2 ? scores[0][0] : null;
}
