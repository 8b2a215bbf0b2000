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

/** The step of the sign-in flow an answer belongs to. */
export type SiwsStage = "challenge" | "verify" | "refresh";

/**
 * The server answered the sign-in flow with a body that is not the documented shape: not JSON,
 * cut short, over the size limit, or missing a field. The message names the stage and the problem,
 * never the body (which may hold tokens).
 */
export class SiwsProtocolError extends Error {
  override name = "SiwsProtocolError";
  readonly status: number | undefined;
  readonly stage: SiwsStage | undefined;
  constructor(message: string, status?: number, options: { stage?: SiwsStage; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.stage = options.stage;
  }
}
