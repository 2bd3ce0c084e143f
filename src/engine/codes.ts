/** Status codes the addon returns instead of a reply position (native/src/reply.rs). */
export const Code = {
  NIL: -1,
  WRONGTYPE: -2,
  NOSPACE: -3,
  OK: -4,
  NOT_INT: -5,
  OVERFLOW: -6,
  NOT_FLOAT: -7,
  NAN_OR_INF: -8,
  TOO_BIG: -9,
  NO_KEY: -10,
  SYNTAX: -11,
  OUT_OF_RANGE: -12,
} as const;

/** Redis's error texts for the codes that are errors. */
export const ERR = {
  WRONGTYPE: "WRONGTYPE Operation against a key holding the wrong kind of value",
  NOT_INT: "ERR value is not an integer or out of range",
  OVERFLOW: "ERR increment or decrement would overflow",
  NOT_FLOAT: "ERR value is not a valid float",
  NAN_OR_INF: "ERR increment would produce NaN or Infinity",
  TOO_BIG: "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  NO_KEY: "ERR no such key",
  SYNTAX: "ERR syntax error",
  OUT_OF_RANGE: "ERR index out of range",
} as const;
