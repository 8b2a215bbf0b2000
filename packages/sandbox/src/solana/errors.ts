/** Solana transaction errors in their JSON-RPC form, converted from LiteSVM's error objects. */

/** The JSON form of a transaction error: `"BlockhashNotFound"` or `{ "InstructionError": [0, { "Custom": 1 }] }`. */
export type TxError = string | { [kind: string]: unknown };

/** `TransactionErrorFieldless` of LiteSVM, by discriminant. */
const TX_ERRORS = [
  "AccountInUse",
  "AccountLoadedTwice",
  "AccountNotFound",
  "ProgramAccountNotFound",
  "InsufficientFundsForFee",
  "InvalidAccountForFee",
  "AlreadyProcessed",
  "BlockhashNotFound",
  "CallChainTooDeep",
  "MissingSignatureForFee",
  "InvalidAccountIndex",
  "SignatureFailure",
  "InvalidProgramForExecution",
  "SanitizeFailure",
  "ClusterMaintenance",
  "AccountBorrowOutstanding",
  "WouldExceedMaxBlockCostLimit",
  "UnsupportedVersion",
  "InvalidWritableAccount",
  "WouldExceedMaxAccountCostLimit",
  "WouldExceedAccountDataBlockLimit",
  "TooManyAccountLocks",
  "AddressLookupTableNotFound",
  "InvalidAddressLookupTableOwner",
  "InvalidAddressLookupTableData",
  "InvalidAddressLookupTableIndex",
  "InvalidRentPayingAccount",
  "WouldExceedMaxVoteCostLimit",
  "WouldExceedAccountDataTotalLimit",
  "MaxLoadedAccountsDataSizeExceeded",
  "ResanitizationNeeded",
  "InvalidLoadedAccountsDataSizeLimit",
  "UnbalancedTransaction",
  "ProgramCacheHitMaxLimit",
  "CommitCancelled",
];

/** `InstructionErrorFieldless` of LiteSVM, by discriminant. */
const IX_ERRORS = [
  "GenericError",
  "InvalidArgument",
  "InvalidInstructionData",
  "InvalidAccountData",
  "AccountDataTooSmall",
  "InsufficientFunds",
  "IncorrectProgramId",
  "MissingRequiredSignature",
  "AccountAlreadyInitialized",
  "UninitializedAccount",
  "UnbalancedInstruction",
  "ModifiedProgramId",
  "ExternalAccountLamportSpend",
  "ExternalAccountDataModified",
  "ReadonlyLamportChange",
  "ReadonlyDataModified",
  "DuplicateAccountIndex",
  "ExecutableModified",
  "RentEpochModified",
  "NotEnoughAccountKeys",
  "AccountDataSizeChanged",
  "AccountNotExecutable",
  "AccountBorrowFailed",
  "AccountBorrowOutstanding",
  "DuplicateAccountOutOfSync",
  "InvalidError",
  "ExecutableDataModified",
  "ExecutableLamportChange",
  "ExecutableAccountNotRentExempt",
  "UnsupportedProgramId",
  "CallDepth",
  "MissingAccount",
  "ReentrancyNotAllowed",
  "MaxSeedLengthExceeded",
  "InvalidSeeds",
  "InvalidRealloc",
  "ComputationalBudgetExceeded",
  "PrivilegeEscalation",
  "ProgramEnvironmentSetupFailure",
  "ProgramFailedToComplete",
  "ProgramFailedToCompile",
  "Immutable",
  "IncorrectAuthority",
  "AccountNotRentExempt",
  "InvalidAccountOwner",
  "ArithmeticOverflow",
  "UnsupportedSysvar",
  "IllegalOwner",
  "MaxAccountsDataAllocationsExceeded",
  "MaxAccountsExceeded",
  "MaxInstructionTraceLengthExceeded",
  "BuiltinProgramsMustConsumeComputeUnits",
  "BorshIoError",
];

// LiteSVM's error classes (napi objects), told apart by class name and fields.
type NativeError = {
  constructor: { name: string };
  index?: number;
  accountIndex?: number;
  code?: number;
  msg?: string;
};

function instructionError(e: number | NativeError): unknown {
  if (typeof e === "number") return IX_ERRORS[e] ?? "GenericError";
  if (e.code !== undefined) return { Custom: e.code };
  return { BorshIoError: e.msg ?? "" };
}

/** Converts the `err()` of a LiteSVM `FailedTransactionMetadata` to its JSON-RPC form. */
export function toTxError(e: number | NativeError): TxError {
  if (typeof e === "number") return TX_ERRORS[e] ?? "SanitizeFailure";
  const inner = e as NativeError & { err?: () => number | NativeError };
  switch (e.constructor.name) {
    case "TransactionErrorInstructionError":
      return { InstructionError: [inner.index, instructionError(inner.err?.() ?? 0)] };
    case "TransactionErrorDuplicateInstruction":
      return { DuplicateInstruction: e.index };
    case "TransactionErrorInsufficientFundsForRent":
      return { InsufficientFundsForRent: { account_index: e.accountIndex } };
    default:
      return { ProgramExecutionTemporarilyRestricted: { account_index: e.accountIndex } };
  }
}

/** A one-line description of a transaction error, in the style of the validator's messages. */
export function describeTxError(err: TxError): string {
  if (err === "AlreadyProcessed") return "This transaction has already been processed";
  if (err === "BlockhashNotFound") return "Blockhash not found";
  if (err === "SignatureFailure") return "Transaction did not pass signature verification";
  if (err === "InsufficientFundsForFee") return "Insufficient funds for fee";
  if (typeof err === "string") return err;
  const ix = err.InstructionError as [number, unknown] | undefined;
  if (!ix) return JSON.stringify(err);
  const [index, cause] = ix;
  const what =
    typeof cause === "object" && cause !== null && "Custom" in cause
      ? `custom program error: 0x${Number((cause as { Custom: number }).Custom).toString(16)}`
      : JSON.stringify(cause);
  return `Error processing Instruction ${index}: ${what}`;
}
