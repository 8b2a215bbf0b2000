export { untilAborted } from "./abort.js";
export {
  type AuthRequest,
  type AuthStrategy,
  applyAuth,
  authMiddleware,
  authorizationHeader,
  type Credential,
  type CredentialContext,
  cookieCredential,
  headerCredential,
  queryCredential,
  resolveCredential,
} from "./auth.js";
export {
  type BaseClientOptions,
  type CreateHttpClientOptions,
  createHttpClient,
  type HttpClient,
  unwrap,
  unwrapWithResponse,
  type WithResponse,
} from "./client.js";
export {
  anonymousRequests,
  credentialsFrom,
  inBrowser,
  isGiven,
  type OperationSecurity,
  readEnv,
  type SchemeSource,
  securityMiddleware,
} from "./env.js";
export {
  AbortError,
  ApiError,
  type ApiErrorInit,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  errorClassFor,
  InternalServerError,
  LocalRateLimitError,
  MissingCredentialError,
  NotFoundError,
  PayloadTooLargeError,
  PaymentRequiredError,
  PermissionDeniedError,
  providerMessage,
  RateLimitError,
  requestIdOf,
  SpecyardError,
  TimeoutError,
  UnprocessableEntityError,
} from "./errors.js";
export {
  type CallOptions,
  createRuntime,
  defaultSleep,
  type RetryEvent,
  type Runtime,
  type RuntimeOptions,
} from "./fetch.js";
export { type Logger, type LogLevel, levelLogger } from "./logger.js";
export { cursorPages, offsetPages, type PaginateOptions, type Paginator, paginate } from "./paginate.js";
export { ATELIER_RATE_LIMITS, PIPEAGENT_RATE_LIMITS, RateLimiter, type RateLimitRule } from "./ratelimit.js";
export { REDACTED, Redactor, redactUrl, SECRET_HEADERS } from "./redact.js";
export {
  backoffDelay,
  isIdempotentMethod,
  RETRY_DEFAULTS,
  RETRY_STATUSES,
  type RetryOptions,
  retryHintFrom,
  retryHintMs,
} from "./retry.js";
export {
  fetchTransport,
  requestTransport,
  type Transport,
  type TransportRequest,
} from "./transport.js";
