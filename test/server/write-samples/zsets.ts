/** Write-path samples of the zsets family: one invocation per write command, after its setup (see ../write-path.test.ts). */
export const samples: Record<string, string[][]> = {
  zadd: [["ZADD", "z", "1", "a"]],
  zincrby: [["ZINCRBY", "z", "2", "a"]],
  zrem: [["ZADD", "z", "1", "a", "2", "b"], ["ZREM", "z", "a"]],
  zremrangebyrank: [["ZADD", "z", "1", "a", "2", "b"], ["ZREMRANGEBYRANK", "z", "0", "0"]],
  zremrangebyscore: [["ZADD", "z", "1", "a", "2", "b"], ["ZREMRANGEBYSCORE", "z", "1", "1"]],
  zremrangebylex: [["ZADD", "z", "0", "a", "0", "b"], ["ZREMRANGEBYLEX", "z", "-", "[a"]],
  zpopmin: [["ZADD", "z", "1", "a", "2", "b"], ["ZPOPMIN", "z"]],
  zpopmax: [["ZADD", "z", "1", "a", "2", "b"], ["ZPOPMAX", "z", "2"]],
  zmpop: [["ZADD", "z", "1", "a", "2", "b"], ["ZMPOP", "1", "z", "MIN"]],
  bzpopmin: [["ZADD", "z", "1", "a"], ["BZPOPMIN", "z", "0"]],
  bzpopmax: [["ZADD", "z", "1", "a"], ["BZPOPMAX", "z", "0"]],
  bzmpop: [["ZADD", "z", "1", "a"], ["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"]],
  zrangestore: [["ZADD", "z", "1", "a", "2", "b"], ["ZRANGESTORE", "d", "z", "0", "-1"]],
  zunionstore: [["ZADD", "z", "1", "a"], ["ZUNIONSTORE", "d", "2", "z", "y"]],
  zinterstore: [["ZADD", "z", "1", "a"], ["ZADD", "y", "2", "a"], ["ZINTERSTORE", "d", "2", "z", "y"]],
  zdiffstore: [["ZADD", "z", "1", "a", "2", "b"], ["ZADD", "y", "2", "a"], ["ZDIFFSTORE", "d", "2", "z", "y"]],
};
