/** Redis 7.2's common error texts, built where a command name is part of them. */
import { cstr, type ErrorText } from "../protocol/reply.js";
import { parseI64 } from "../protocol/numbers.js";

export const SYNTAX = "ERR syntax error";
export const NOT_INT = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const NO_KEY = "ERR no such key";
export const DB_RANGE = "ERR DB index is out of range";

/** An integer argument within [min, max] as Redis's getRangeLongFromObjectOrReply checks it: the value, or the error text. */
export function rangedInt(arg: Uint8Array, min: number, max: number): number | string {
  const n = parseI64(arg);
  if (n === null) return NOT_INT;
  return n < min || n > max ? `ERR value is out of range, value must between ${min} and ${max}` : n;
}

export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

/**
 * Redis's text for a name it does not know: the name (at most 128 bytes) and
 * the arguments, each cut to what still fits while the list is under 128 bytes
 * (so a command with a million arguments gets a short error). Bytes as sent.
 */
export function unknownCommand(argv: Buffer[]): ErrorText {
  const parts: ErrorText[number][] = ["ERR unknown command '", cstr(argv[0], 128), "', with args beginning with: "];
  let listed = 0;
  for (let i = 1; i < argv.length && listed < 128; i++) {
    const arg = cstr(argv[i], 128 - listed);
    parts.push("'", arg, "' ");
    listed += arg.length + 3;
  }
  return parts;
}

export function unknownSubcommand(sub: Buffer, parent: string): ErrorText {
  return ["ERR unknown subcommand '", cstr(sub, 128), `'. Try ${parent.toUpperCase()} HELP.`];
}

/**
 * An error text with client arguments echoed as Redis's addReplyErrorFormat
 * prints them: each up to its first NUL, bytes as sent, and CR/LF at the very
 * end trimmed (the rest become spaces when the reply is written).
 */
export function echo(strings: TemplateStringsArray, ...args: Uint8Array[]): ErrorText {
  const parts: ErrorText[number][] = [strings[0]];
  args.forEach((a, i) => {
    let arg = cstr(a);
    if (i === args.length - 1 && strings[i + 1] === "") {
      let end = arg.length;
      while (end > 0 && (arg[end - 1] === 13 || arg[end - 1] === 10)) end--;
      arg = arg.subarray(0, end);
    }
    parts.push(arg, strings[i + 1]);
  });
  return parts;
}
