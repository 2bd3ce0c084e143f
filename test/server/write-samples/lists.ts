/** Write-path samples of the lists family: one invocation per write command, after its setup (see ../write-path.test.ts). */
const withList = (...last: string[]): string[][] => [["RPUSH", "l", "a", "b", "c"], last];

export const samples: Record<string, string[][]> = {
  lpush: [["LPUSH", "l", "a", "b"]],
  rpush: [["RPUSH", "l", "a", "b"]],
  lpushx: withList("LPUSHX", "l", "x"),
  rpushx: withList("RPUSHX", "l", "x"),
  lpop: withList("LPOP", "l"),
  rpop: withList("RPOP", "l", "2"),
  lset: withList("LSET", "l", "1", "x"),
  linsert: withList("LINSERT", "l", "BEFORE", "b", "x"),
  lrem: withList("LREM", "l", "0", "b"),
  ltrim: withList("LTRIM", "l", "0", "1"),
  lmove: withList("LMOVE", "l", "m", "LEFT", "RIGHT"),
  rpoplpush: withList("RPOPLPUSH", "l", "m"),
  lmpop: withList("LMPOP", "2", "none", "l", "RIGHT", "COUNT", "2"),
  // The blocking pops serve at once when a list has elements.
  blpop: withList("BLPOP", "none", "l", "0"),
  brpop: withList("BRPOP", "l", "0"),
  blmove: withList("BLMOVE", "l", "m", "RIGHT", "LEFT", "0"),
  brpoplpush: withList("BRPOPLPUSH", "l", "m", "0"),
  blmpop: withList("BLMPOP", "0", "1", "l", "LEFT"),
};
