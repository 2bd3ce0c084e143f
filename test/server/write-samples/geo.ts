/** Write-path samples of the geo family: one invocation per write command, after its setup (see ../write-path.test.ts). */
export const samples: Record<string, string[][]> = {
  geoadd: [["GEOADD", "k", "13.361389", "38.115556", "Palermo"]],
  georadius: [["GEOADD", "k", "13.361389", "38.115556", "Palermo"], ["GEORADIUS", "k", "13", "38", "200", "km", "STORE", "d"]],
  georadiusbymember: [["GEOADD", "k", "13.361389", "38.115556", "Palermo"], ["GEORADIUSBYMEMBER", "k", "Palermo", "10", "km", "STOREDIST", "d"]],
  geosearchstore: [["GEOADD", "k", "13.361389", "38.115556", "Palermo"], ["GEOSEARCHSTORE", "d", "k", "FROMLONLAT", "13", "38", "BYRADIUS", "200", "km"]],
};
