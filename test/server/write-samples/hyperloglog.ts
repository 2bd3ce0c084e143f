/** Write-path samples of the hyperloglog family: one invocation per write command, after its setup (see ../write-path.test.ts). */
export const samples: Record<string, string[][]> = {
  pfadd: [["PFADD", "k", "a", "b"]],
  pfmerge: [["PFADD", "a", "x"], ["PFMERGE", "k", "a"]],
  pfdebug: [["PFADD", "k", "a"], ["PFDEBUG", "TODENSE", "k"]],
};
