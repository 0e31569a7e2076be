import { stringify } from 'csv-stringify/sync';

/**
 * A cell that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a
 * carriage return) gets a leading apostrophe, so opening Harbour's CSV in Excel never runs
 * anything (OWASP's CSV injection advice). Numbers stay numbers.
 */
export function neutraliseCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const s = value instanceof Date ? value.toISOString() : String(value);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** Every CSV Harbour writes goes through here: a header row, then rows, every cell neutralised. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return stringify([header.map(neutraliseCell), ...rows.map((r) => r.map(neutraliseCell))], { record_delimiter: '\r\n' });
}
