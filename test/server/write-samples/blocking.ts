/**
 * Write-path samples of the blocking pops, served at once (their blocked path is
 * tested in ../blocking.test.ts): one invocation per command, after its setup.
 */
export const samples: Record<string, string[][]> = {
  blpop: [["RPUSH", "l", "a", "b"], ["BLPOP", "l", "0"]],
  brpop: [["RPUSH", "l", "a", "b"], ["BRPOP", "l", "0"]],
  blmove: [["RPUSH", "l", "a", "b"], ["BLMOVE", "l", "d", "LEFT", "RIGHT", "0"]],
  brpoplpush: [["RPUSH", "l", "a", "b"], ["BRPOPLPUSH", "l", "d", "0"]],
  blmpop: [["RPUSH", "l", "a", "b"], ["BLMPOP", "0", "1", "l", "LEFT", "COUNT", "2"]],
  bzpopmin: [["ZADD", "z", "1", "a", "2", "b"], ["BZPOPMIN", "z", "0"]],
  bzpopmax: [["ZADD", "z", "1", "a", "2", "b"], ["BZPOPMAX", "z", "0"]],
  bzmpop: [["ZADD", "z", "1", "a", "2", "b"], ["BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"]],
};
