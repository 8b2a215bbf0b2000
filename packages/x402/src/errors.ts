import { SpecyardError } from "@specyard/http";

/** Why a payment was refused before any key was touched: which field, which rule. */
export class PaymentRefusedError extends SpecyardError {
  override name = "PaymentRefusedError";
  readonly field: string;
  readonly rule: string;
  constructor(field: string, rule: string, message: string) {
    super(`payment refused: ${field} ${message}`);
    this.field = field;
    this.rule = rule;
  }
}

/** The transfer was sent but did not land or confirm in time; the journal keeps it for a resume. */
export class PaymentPendingError extends SpecyardError {
  override name = "PaymentPendingError";
  readonly intentId: string;
  readonly signature: string;
  constructor(intentId: string, signature: string, message: string) {
    super(message);
    this.intentId = intentId;
    this.signature = signature;
  }
}

/** The transfer failed on chain (e.g. not enough USDC), or the server did not credit it. */
export class PaymentFailedError extends SpecyardError {
  override name = "PaymentFailedError";
  readonly intentId: string;
  constructor(intentId: string, message: string) {
    super(message);
    this.intentId = intentId;
  }
}

/**
 * An answer larger than a payment flow reads: its headers (the HTTP client's header limit) or its
 * body (`maxBodyBytes`). Nothing of it was parsed.
 */
export class ResponseTooLargeError extends SpecyardError {
  override name = "ResponseTooLargeError";
  readonly part: "headers" | "body";
  /** The limit in bytes. */
  readonly limit: number;
  constructor(part: "headers" | "body", limit: number, message: string) {
    super(message);
    this.part = part;
    this.limit = limit;
  }
}
