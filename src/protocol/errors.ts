/** A protocol violation: the server replies with `-ERR Protocol error: ...` and closes. */
export class ProtocolError extends Error {}
