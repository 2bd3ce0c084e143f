/** Write-path samples of the hashes family: one invocation per write command, after its setup (see ../write-path.test.ts). */
export const samples: Record<string, string[][]> = {
  hset: [["HSET", "h", "f", "v", "g", "w"]],
  hsetnx: [["HSETNX", "h", "f", "v"]],
  hmset: [["HMSET", "h", "f", "v"]],
  hdel: [["HSET", "h", "f", "v", "g", "w"], ["HDEL", "h", "f"]],
  hincrby: [["HINCRBY", "h", "n", "5"]],
  hincrbyfloat: [["HINCRBYFLOAT", "h", "n", "1.5"]],
  hexpire: [["HSET", "h", "f", "v"], ["HEXPIRE", "h", "100", "FIELDS", "1", "f"]],
  hpexpire: [["HSET", "h", "f", "v"], ["HPEXPIRE", "h", "100000", "FIELDS", "1", "f"]],
  hexpireat: [["HSET", "h", "f", "v"], ["HEXPIREAT", "h", "4000000000", "FIELDS", "1", "f"]],
  hpexpireat: [["HSET", "h", "f", "v"], ["HPEXPIREAT", "h", "4000000000000", "FIELDS", "1", "f"]],
  hpersist: [["HSET", "h", "f", "v"], ["HEXPIRE", "h", "100", "FIELDS", "1", "f"], ["HPERSIST", "h", "FIELDS", "1", "f"]],
  hgetdel: [["HSET", "h", "f", "v", "g", "w"], ["HGETDEL", "h", "FIELDS", "1", "f"]],
  hgetex: [["HSET", "h", "f", "v"], ["HGETEX", "h", "EX", "100", "FIELDS", "1", "f"]],
  hsetex: [["HSETEX", "h", "EX", "100", "FIELDS", "1", "f", "v"]],
};
