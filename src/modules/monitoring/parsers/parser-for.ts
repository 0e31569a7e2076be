// The parser for a log format (a CSV export's from its header line).
import type { LogFormat } from '../types';
import { csvExportParser } from './csv';
import { e2guardianCsvParser, e2guardianParser } from './e2guardian';
import { squidParser } from './squid';
import type { LineParser } from './types';

/** The line parser for a format; for a CSV export it is made from the header and throws when the header cannot be mapped. */
export function parserFor(format: LogFormat, headerLine: string): LineParser {
  switch (format) {
    case 'squid':
      return squidParser;
    case 'e2guardian':
      return e2guardianParser;
    case 'e2guardian-csv':
      return e2guardianCsvParser;
    case 'csv':
      return csvExportParser(headerLine);
  }
}
