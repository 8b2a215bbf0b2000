/** The package entry: the client (`client.ts`) and the helpers built on it, which import it but never this file. */
export * from "./client.js";
export {
  FeedIdError,
  type FeedRef,
  feedIdOf,
  PUSH_LIMITS,
  type PushLimits,
  type PushReport,
  type PushRowsOptions,
  pushMany,
  pushRows,
  pushSingleton,
  type Row,
  RowIdError,
  RowTooLargeError,
} from "./push.js";
