/** Write-path samples of the sort family: one invocation per write command, after its setup (see ../write-path.test.ts). */
export const samples: Record<string, string[][]> = {
  sort: [["RPUSH", "l", "3", "1", "2"], ["SORT", "l", "STORE", "d"]],
};
