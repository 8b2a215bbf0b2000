export {
  type AuthStrategy,
  authMiddleware,
  authorizationHeader,
  type Credential,
  cookieCredential,
  headerCredential,
  queryCredential,
  resolveCredential,
} from "./auth.js";
export { type BaseClientOptions, type CreateHttpClientOptions, createHttpClient, unwrap } from "./client.js";
export {
  ApiError,
  type ApiErrorInit,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  errorClassFor,
  InternalServerError,
  NotFoundError,
  PayloadTooLargeError,
  PaymentRequiredError,
  PermissionDeniedError,
  providerMessage,
  RateLimitError,
  SpecyardError,
  UnprocessableEntityError,
} from "./errors.js";
export { REDACTED, redactUrl } from "./redact.js";
