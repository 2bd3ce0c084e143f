/** Write-path samples of the streams family: one invocation per write command, after its setup (see ../write-path.test.ts). */
export const samples: Record<string, string[][]> = {
  xadd: [["XADD", "s", "*", "f", "v"]],
  xdel: [["XADD", "s", "1-1", "f", "v"], ["XDEL", "s", "1-1"]],
  xtrim: [["XADD", "s", "1-1", "f", "v"], ["XADD", "s", "1-2", "f", "v"], ["XTRIM", "s", "MAXLEN", "1"]],
  xsetid: [["XADD", "s", "1-1", "f", "v"], ["XSETID", "s", "5-5"]],
  xack: [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], ["XACK", "s", "g", "1-1"]],
  xclaim: [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], ["XCLAIM", "s", "g", "d", "0", "1-1"]],
  xautoclaim: [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], ["XAUTOCLAIM", "s", "g", "d", "0", "0"]],
  xreadgroup: [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]],
  "xgroup|create": [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"]],
  "xgroup|setid": [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "SETID", "s", "g", "$"]],
  "xgroup|destroy": [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "DESTROY", "s", "g"]],
  "xgroup|createconsumer": [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "CREATECONSUMER", "s", "g", "c"]],
  "xgroup|delconsumer": [["XADD", "s", "1-1", "f", "v"], ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "CREATECONSUMER", "s", "g", "c"], ["XGROUP", "DELCONSUMER", "s", "g", "c"]],
};
