/** Why a sign-in message was refused: which field, and which rule it broke. Never holds a key. */
export class SiwsRefusedError extends Error {
  override name = "SiwsRefusedError";
  readonly field: string;
  readonly rule: string;
  constructor(field: string, rule: string, message: string) {
    super(`refusing to sign: ${field} ${message}`);
    this.field = field;
    this.rule = rule;
  }
}

/** The server answered the sign-in flow with something other than the documented shape or status. */
export class SiwsProtocolError extends Error {
  override name = "SiwsProtocolError";
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}
