/** Splits one CSV line (quotes, doubled quotes inside quotes). Null when a quote is left open. */
export function splitCsvLine(line: string, delimiter = ','): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (true) {
        const q = line.indexOf('"', i);
        if (q === -1) return null;
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      if (i >= n) return out;
      if (line[i] !== delimiter) {
        // Text after a closing quote: keep it, as spreadsheets do.
        const d = line.indexOf(delimiter, i);
        out[out.length - 1] += d === -1 ? line.slice(i) : line.slice(i, d);
        if (d === -1) return out;
        i = d;
      }
      i++;
    } else {
      const d = line.indexOf(delimiter, i);
      if (d === -1) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, d));
      i = d + 1;
    }
  }
}
