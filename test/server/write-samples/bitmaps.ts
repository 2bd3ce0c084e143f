/** Write-path samples of the bitmaps family: one invocation per write command, after its setup (see ../write-path.test.ts). */
export const samples: Record<string, string[][]> = {
  setbit: [["SETBIT", "k", "7", "1"]],
  bitop: [["SET", "a", "x"], ["BITOP", "NOT", "k", "a"]],
  bitfield: [["BITFIELD", "k", "SET", "u8", "0", "255"]],
};
