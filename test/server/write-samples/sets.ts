/** Write-path samples of the sets family: one invocation per write command, after its setup (see ../write-path.test.ts). */
export const samples: Record<string, string[][]> = {
  sadd: [["SADD", "s", "a", "b"]],
  srem: [["SADD", "s", "a", "b"], ["SREM", "s", "a"]],
  smove: [["SADD", "s", "a"], ["SMOVE", "s", "d", "a"]],
  spop: [["SADD", "s", "a", "b"], ["SPOP", "s"]],
  sinterstore: [["SADD", "s", "a", "b"], ["SADD", "t", "b"], ["SINTERSTORE", "d", "s", "t"]],
  sunionstore: [["SADD", "s", "a"], ["SUNIONSTORE", "d", "s", "t"]],
  sdiffstore: [["SADD", "s", "a", "b"], ["SADD", "t", "b"], ["SDIFFSTORE", "d", "s", "t"]],
};
