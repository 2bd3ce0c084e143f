/** Redis 7.2's common error texts, built where a command name is part of them. */
export const SYNTAX = "ERR syntax error";
export const NOT_INT = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const NO_KEY = "ERR no such key";
export const DB_RANGE = "ERR DB index is out of range";

export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

export function unknownCommand(argv: Buffer[]): string {
  const args = argv
    .slice(1)
    .map((a) => `'${a.toString("latin1").slice(0, 128)}' `)
    .join("");
  return `ERR unknown command '${argv[0].toString("latin1").slice(0, 128)}', with args beginning with: ${args}`;
}

export function unknownSubcommand(sub: Buffer, parent: string): string {
  return `ERR unknown subcommand '${sub.toString("latin1").slice(0, 128)}'. Try ${parent.toUpperCase()} HELP.`;
}
