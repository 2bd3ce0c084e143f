import { ProtocolError } from "./errors.js";

const HEX = /^[0-9a-fA-F]$/;
/** C isspace(): Redis splits on these only (not on Latin-1 0xA0). */
const SPACE = /[ \t\n\v\f\r]/;

/**
 * Splits an inline command line as Redis's sdssplitargs does: spaces separate
 * arguments, "double quotes" understand \n \r \t \b \a \\ \" and \xHH escapes,
 * 'single quotes' only \'. A closing quote must be followed by a space.
 */
export function splitArgs(line: string): Buffer[] | null {
  const out: Buffer[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && SPACE.test(line[i])) i++;
    if (i >= n) return out;
    let cur = "";
    let inDq = false;
    let inSq = false;
    let done = false;
    while (!done) {
      const c = line[i];
      if (inDq) {
        if (i >= n) return null;
        if (c === "\\" && line[i + 1] === "x" && HEX.test(line[i + 2] ?? "") && HEX.test(line[i + 3] ?? "")) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "b" ? "\b" : e === "a" ? "\x07" : e;
        } else if (c === '"') {
          if (i + 1 < n && !SPACE.test(line[i + 1])) return null;
          done = true;
        } else {
          cur += c;
        }
      } else if (inSq) {
        if (i >= n) return null;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !SPACE.test(line[i + 1])) return null;
          done = true;
        } else {
          cur += c;
        }
      } else if (i >= n || c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\0") {
        done = true;
      } else if (c === '"') {
        inDq = true;
      } else if (c === "'") {
        inSq = true;
      } else {
        cur += c;
      }
      if (i < n) i++;
    }
    out.push(Buffer.from(cur, "latin1"));
  }
}

export function splitInline(line: Buffer): Buffer[] {
  const args = splitArgs(line.toString("latin1"));
  if (args === null) throw new ProtocolError("unbalanced quotes in request", "unbalanced quotes in inline request");
  return args;
}
