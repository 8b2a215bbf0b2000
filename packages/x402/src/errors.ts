/** Why a payment was refused before any key was touched: which field, which rule. */
export class PaymentRefusedError extends Error {
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
export class PaymentPendingError extends Error {
  override name = "PaymentPendingError";
  readonly intentId: string;
  readonly signature: string;
  constructor(intentId: string, signature: string, message: string) {
    super(message);
    this.intentId = intentId;
    this.signature = signature;
  }
}

/** The transfer failed on chain (e.g. not enough USDC). Nothing was credited. */
export class PaymentFailedError extends Error {
  override name = "PaymentFailedError";
  readonly intentId: string;
  constructor(intentId: string, message: string) {
    super(message);
    this.intentId = intentId;
  }
}
