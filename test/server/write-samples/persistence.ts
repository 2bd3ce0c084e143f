/** Write-path samples of the persistence commands (RESTORE: a DUMP payload of the string "v361", all of its bytes ASCII). */
export const samples: Record<string, string[][]> = {
  restore: [["RESTORE", "k", "0", "\x00\x04v361\n\x003%Hpy\x166i"]],
  "restore-asking": [["RESTORE-ASKING", "k", "0", "\x00\x04v361\n\x003%Hpy\x166i"]],
  // MIGRATE blocks its server while the target answers, so it needs a target
  // process of its own: test/persistence/migrate.test.ts checks its DEL propagation.
  migrate: [],
};
