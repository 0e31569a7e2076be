// CSV exports of commercial filters, read by mapping the header's columns to what Harbour needs:
// time, user, client address, URL (or host), action (allowed or blocked) and category.
// Smoothwall's web filter export, for one, has Time, Username, Source IP, Group, HTTP code, URL, Categories.
import type { LogRequest } from '../types';
import { splitCsvLine } from './csv-line';
import { parseE2Time } from './e2guardian';
import { londonTime, wallTime } from './london-time';
import { hasBinary, malformed, type LineParser, type ParseResult } from './types';

type Field = 'time' | 'date' | 'user' | 'client' | 'url' | 'host' | 'action' | 'status' | 'category' | 'reason' | 'method' | 'mime';

/** Header names (lower case, spaces and punctuation removed) for each field, most specific first. */
const synonyms: Record<Field, string[]> = {
  time: ['timestamp', 'datetime', 'time', 'datetimeutc', 'eventtime', 'logtime', 'when', 'receivedtime', 'timeutc', 'requesttime'],
  date: ['date'],
  user: ['username', 'user', 'login', 'userid', 'who', 'account', 'useridentity', 'upn', 'email'],
  client: ['sourceip', 'clientip', 'clientaddress', 'srcip', 'ipaddress', 'ip', 'source', 'deviceip', 'from', 'clienthost', 'device', 'client', 'sourceaddress'],
  url: ['url', 'requestedurl', 'fullurl', 'uri', 'requesturl', 'where', 'webaddress', 'address', 'link'],
  host: ['domain', 'host', 'hostname', 'site', 'website', 'destination', 'destinationhost'],
  action: ['action', 'result', 'decision', 'disposition', 'outcome', 'verdict', 'allowedblocked', 'blocked', 'status', 'filteraction'],
  status: ['httpcode', 'httpstatus', 'statuscode', 'responsecode', 'code', 'httpresponse'],
  category: ['categories', 'category', 'contentcategory', 'webcategory', 'urlcategory', 'cat', 'classification'],
  reason: ['reason', 'blockreason', 'rule', 'policy', 'what', 'matchedrule', 'ruletriggered'],
  method: ['method', 'httpmethod', 'requestmethod'],
  mime: ['mimetype', 'contenttype', 'mime'],
};

const key = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

export type ColumnMap = Partial<Record<Field, number>>;

/** Maps a header row to fields; null when it has neither a URL nor a host column, or no time. */
export function mapHeader(headers: string[]): ColumnMap | null {
  const keys = headers.map(key);
  const map: ColumnMap = {};
  const used = new Set<number>();
  for (const field of Object.keys(synonyms) as Field[]) {
    for (const s of synonyms[field]) {
      const i = keys.findIndex((k, idx) => k === s && !used.has(idx));
      if (i !== -1) {
        map[field] = i;
        used.add(i);
        break;
      }
    }
  }
  if (map.url === undefined && map.host === undefined) return null;
  if (map.time === undefined && map.date === undefined) return null;
  return map;
}

export function sniffDelimiter(header: string): string {
  const counts = [',', ';', '\t', '|'].map((d) => [d, header.split(d).length] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][0];
}

const blockedWords = /^(block|blocked|deny|denied|drop|dropped|reject|rejected|banned|forbidden|filtered|prevented|quarantined|false)$/i;
const allowedWords = /^(allow|allowed|permit|permitted|pass|passed|ok|accepted|true|logged|monitored)$/i;

/**
 * Reads the times exports use: ISO 8601, "DD/MM/YYYY HH:MM(:SS)" (UK order), "YYYY-MM-DD HH:MM:SS",
 * Unix seconds or milliseconds. A time with no offset is the school's local time, read as UK time
 * (Europe/London, summer time included) whatever the server's time zone; one with an offset ("Z",
 * "+01:00", "UTC") is read as it says.
 */
export function parseExportTime(s: string): number | null {
  const t = s.trim();
  if (!t) return null;
  if (/^\d{9,11}(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (/^\d{12,14}$/.test(t)) return Number(t);
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.(\d{1,3})\d*)?\s*([zZ]|UTC|GMT|(?:UTC|GMT)?[+-]\d{1,2}:?\d{2})?/.exec(t);
  if (m) return wallTime(m[8], +m[3], +m[2], +m[1], +m[4], +m[5], +(m[6] ?? 0), m[7] ? Number(m[7].padEnd(3, '0')) : 0);
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    // With an offset, as written; without one (JavaScript would read the server's zone), UK time.
    if (/(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(t)) {
      const v = Date.parse(t);
      return Number.isNaN(v) ? null : v;
    }
    m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/.exec(t);
    return m ? londonTime(+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] ?? 0), m[7] ? Number(m[7].padEnd(3, '0')) : 0) : null;
  }
  const e2 = parseE2Time(t);
  if (e2 !== null) return e2;
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (m) return londonTime(+m[1], +m[2], +m[3]);
  const v = Date.parse(t);
  return Number.isNaN(v) ? null : v;
}

/** A parser for one export, made from its header line. Throws when the header cannot be mapped. */
export function csvExportParser(headerLine: string): LineParser {
  const delimiter = sniffDelimiter(headerLine);
  const headers = splitCsvLine(headerLine.replace(/^\ufeff/, ''), delimiter) ?? [];
  const map = mapHeader(headers);
  if (!map) {
    throw new Error(`the CSV header (${headers.slice(0, 8).join(', ')}) has no column Harbour can read as the ${headers.some((h) => synonyms.url.includes(key(h)) || synonyms.host.includes(key(h))) ? 'time' : 'URL'}`);
  }
  const width = headers.length;
  let headerSeen = false;
  const get = (f: string[], field: Field) => {
    const i = map[field];
    if (i === undefined) return null;
    const v = f[i]?.trim();
    return v === undefined || v === '' || v === '-' ? null : v;
  };
  return {
    format: 'csv',
    parse(line: string, lineNo: number): ParseResult {
      if (!headerSeen && lineNo === 1) {
        headerSeen = true;
        return null;
      }
      if (!line.trim()) return null;
      if (hasBinary(line)) return malformed('binary or control characters in the line');
      const f = splitCsvLine(line, delimiter);
      if (!f) return malformed('a quote is left open (a truncated line?)');
      if (f.length < width) return malformed(`expected ${width} columns, found ${f.length} (a truncated line?)`);
      const timeText = [get(f, 'date'), get(f, 'time')].filter(Boolean).join(' ');
      const time = parseExportTime(timeText);
      if (time === null) return malformed(`the time "${timeText.slice(0, 30)}" is not a date and time`);
      let url = get(f, 'url');
      if (!url) {
        const host = get(f, 'host');
        if (!host) return malformed('no URL or host');
        url = host;
      }
      const action = get(f, 'action');
      const status = Number(get(f, 'status') ?? NaN);
      const blocked = action ? blockedWords.test(action) || (!allowedWords.test(action) && /block|den(y|ied)/i.test(action)) : status === 403;
      const category = get(f, 'category');
      const reason = get(f, 'reason');
      const req: LogRequest = {
        time,
        user: get(f, 'user'),
        client: get(f, 'client'),
        url,
        method: get(f, 'method'),
        status: Number.isFinite(status) ? status : null,
        mime: get(f, 'mime'),
        blocked,
        category,
        reason: reason ?? (blocked ? `blocked${action ? ` (${action})` : ''}` : null),
      };
      return req;
    },
  };
}
