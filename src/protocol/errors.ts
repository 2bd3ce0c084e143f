/**
 * A protocol violation: the server replies with `-ERR Protocol error: <message>` and
 * closes. `reason` is the shorter text Redis logs for it (setProtocolError).
 */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly reason: string = message,
  ) {
    super(message);
  }
}
