// Wall-clock times in filter exports (Smoothwall's DD/MM/YYYY, e2guardian's CSV dates) are the
// school's local time: UK time, whatever time zone the server runs in. British Summer Time runs
// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.

const hour = 3_600_000;
const summers = new Map<number, [number, number]>();

/** The last Sunday of a month (0-based), as a day of the month. */
function lastSunday(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0));
  return last.getUTCDate() - last.getUTCDay();
}

/** When summer time starts and ends in a year, as wall-clock milliseconds (Date.UTC of the local time). */
function summer(year: number): [number, number] {
  let s = summers.get(year);
  if (!s) {
    // Clocks go forward at 01:00 GMT (wall 01:00 becomes 02:00) and back at 02:00 BST (wall 02:00 becomes 01:00).
    s = [Date.UTC(year, 2, lastSunday(year, 2), 1), Date.UTC(year, 9, lastSunday(year, 9), 2)];
    if (summers.size > 200) summers.clear();
    summers.set(year, s);
  }
  return s;
}

/**
 * Milliseconds since the epoch of a wall-clock time in London (month 1 to 12). The hour that
 * happens twice in October is read as the first (summer time); the hour skipped in March as
 * winter time.
 */
export function londonTime(year: number, month: number, day: number, h = 0, min = 0, sec = 0, ms = 0): number {
  const wall = Date.UTC(year, month - 1, day, h, min, sec, ms);
  const [start, end] = summer(year);
  return wall >= start + hour && wall < end ? wall - hour : wall;
}

/** An explicit offset written after a time ("Z", "UTC", "GMT", "+01:00", "-0500"), in minutes east of UTC, or null when there is none. */
export function offsetMinutes(s: string | undefined): number | null {
  if (!s) return null;
  const t = s.trim();
  if (!t) return null;
  if (/^(z|utc|gmt)$/i.test(t)) return 0;
  const m = /^(?:utc|gmt)?([+-])(\d{1,2}):?(\d{2})?$/i.exec(t);
  if (!m) return null;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/** A wall-clock time with its explicit offset when it has one, else read as London time. */
export function wallTime(offset: string | undefined, year: number, month: number, day: number, h = 0, min = 0, sec = 0, ms = 0): number {
  const off = offsetMinutes(offset);
  if (off === null) return londonTime(year, month, day, h, min, sec, ms);
  return Date.UTC(year, month - 1, day, h, min, sec, ms) - off * 60_000;
}
