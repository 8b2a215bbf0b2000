/**
 * Typed client for the Pipe Network Firestarter storage API (SIWS wallet auth, S3 keys, credits and
 * x402 top-ups, downloads), generated from specyard's curated OpenAPI spec.
 */
import {
  type AuthStrategy,
  authorizationHeader,
  type BaseClientOptions,
  type Credential,
  createHttpClient,
  type HttpClient,
  headerCredential,
  isGiven,
  readEnv,
} from "@specyard/http";
import type { components, paths } from "./generated/schema.js";
import { operationSecurity } from "./generated/security.js";

export {
  AbortError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  type CallOptions,
  ConflictError,
  ConnectionError,
  type Credential,
  fetchTransport,
  InternalServerError,
  LocalRateLimitError,
  type Logger,
  MissingCredentialError,
  NotFoundError,
  type Paginator,
  PayloadTooLargeError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  requestTransport,
  SpecyardError,
  TimeoutError,
  type Transport,
  type TransportRequest,
  UnprocessableEntityError,
  unwrap,
  unwrapWithResponse,
  type WithResponse,
} from "@specyard/http";
export type { components, operations, paths } from "./generated/schema.js";
export {
  decodePaymentRequired,
  encodePaymentSignature,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  paymentRequiredOf,
  USDC_DECIMALS,
  USDC_MINT,
} from "./x402.js";

/** The documented production host (US West 01). */
export const PIPE_STORAGE_BASE_URL = "https://us-west-01-firestarter.pipenetwork.com";

/**
 * A signed-in session: `Authorization: Bearer <accessToken>`, plus `X-CSRF-Token: <csrfToken>` on
 * POST/PATCH/DELETE. Pass getters when the tokens refresh (`POST /auth/refresh`).
 */
export interface PipeStorageBearerAuth {
  accessToken: Credential;
  csrfToken?: Credential;
  appKey?: undefined;
}

/** The permanent app key: `Authorization: ApiKey <appKey>`, no CSRF. Preferred for agents and x402. */
export interface PipeStorageAppKeyAuth {
  appKey: Credential;
  accessToken?: undefined;
  csrfToken?: undefined;
}

/** No credentials: only the sign-in endpoints (`/auth/siws/*`, `/auth/refresh`) and `/openapi.yaml`. */
export interface PipeStorageNoAuth {
  accessToken?: undefined;
  csrfToken?: undefined;
  appKey?: undefined;
}

export type PipeStorageCredentials = PipeStorageBearerAuth | PipeStorageAppKeyAuth | PipeStorageNoAuth;

/** Options of `createPipeStorageClient`: the base options plus either a bearer session or an app key. */
export type PipeStorageClientOptions = BaseClientOptions & PipeStorageCredentials;

export type PipeStorageClient = HttpClient<paths>;

/** Set by the build (tsup `define`); absent when the sources run directly (tests). */
declare const __PACKAGE_VERSION__: string | undefined;
const VERSION = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev";

/**
 * Creates a typed Pipe Storage client. Options left out come from the environment: `PIPE_BASE_URL`
 * (else `PIPE_STORAGE_BASE_URL`), and when no credential is passed, `PIPE_APP_KEY` or else
 * `PIPE_ACCESS_TOKEN` with `PIPE_CSRF_TOKEN`.
 */
export function createPipeStorageClient(options: PipeStorageClientOptions = {}): PipeStorageClient {
  const { accessToken: _a, csrfToken: _c, appKey: _k, baseUrl, ...rest } = options;
  const credentials = credentialsOf(options);
  const given = (option: string, variable: string, credential: Credential | undefined) => ({
    option,
    variable,
    given: isGiven(credential),
  });
  return createHttpClient<paths>({
    userAgent: `specyard-pipe-storage/${VERSION}`,
    ...rest,
    baseUrl: baseUrl ?? readEnv("PIPE_BASE_URL") ?? PIPE_STORAGE_BASE_URL,
    auth: authStrategies(credentials),
    security: {
      operations: operationSecurity,
      schemes: {
        appKey: given("appKey", "PIPE_APP_KEY", credentials.appKey),
        bearerAuth: given("accessToken", "PIPE_ACCESS_TOKEN", credentials.accessToken),
        csrfToken: given("csrfToken", "PIPE_CSRF_TOKEN", credentials.csrfToken),
      },
    },
  });
}

/** The credentials passed, or when none is, those of the environment (the app key first). */
function credentialsOf(options: PipeStorageCredentials) {
  const passed = [options.appKey, options.accessToken, options.csrfToken].some(
    (value) => value !== undefined && value !== "",
  );
  if (passed) {
    const blank = (value: Credential | undefined) => (value === "" ? undefined : value);
    return {
      appKey: blank(options.appKey),
      accessToken: blank(options.accessToken),
      csrfToken: blank(options.csrfToken),
    };
  }
  const appKey = readEnv("PIPE_APP_KEY");
  if (appKey) return { appKey, accessToken: undefined, csrfToken: undefined };
  return {
    appKey: undefined,
    accessToken: readEnv("PIPE_ACCESS_TOKEN"),
    csrfToken: readEnv("PIPE_CSRF_TOKEN"),
  };
}

/** Plain-JavaScript callers can pass any mix, so this checks what the types already forbid. */
function authStrategies(options: {
  accessToken: Credential | undefined;
  csrfToken: Credential | undefined;
  appKey: Credential | undefined;
}): AuthStrategy[] {
  if (options.appKey !== undefined) {
    if (options.accessToken !== undefined || options.csrfToken !== undefined) {
      throw new TypeError(
        "createPipeStorageClient: pass either appKey or accessToken (+ csrfToken), not both",
      );
    }
    return [authorizationHeader(options.appKey, "ApiKey")];
  }
  if (options.accessToken !== undefined) {
    const strategies = [authorizationHeader(options.accessToken, "Bearer")];
    if (options.csrfToken !== undefined) {
      strategies.push(headerCredential("X-CSRF-Token", options.csrfToken, { mutationsOnly: true }));
    }
    return strategies;
  }
  if (options.csrfToken !== undefined) {
    throw new TypeError("createPipeStorageClient: csrfToken needs an accessToken");
  }
  return [];
}

type Schemas = components["schemas"];

/** The provider's error body: `{error}` or `{message, details}`. */
export type PipeStorageErrorBody = Schemas["Error"];
export type InsufficientCredits = Schemas["InsufficientCredits"];
export type X402IntentConflict = Schemas["X402IntentConflict"];

export type SiwsChallengeRequest = Schemas["SiwsChallengeRequest"];
export type SiwsChallenge = Schemas["SiwsChallenge"];
export type SiwsVerifyRequest = Schemas["SiwsVerifyRequest"];
export type AuthTokens = Schemas["AuthTokens"];
export type RefreshRequest = Schemas["RefreshRequest"];
export type RefreshedTokens = Schemas["RefreshedTokens"];
export type Session = Schemas["Session"];
export type SessionList = Schemas["SessionList"];

export type AccountState = Schemas["AccountState"];
export type UserProfile = Schemas["UserProfile"];
export type RotatedAppKey = Schemas["RotatedAppKey"];
export type ActivityStatus = Schemas["ActivityStatus"];
export type ActivityEntry = Schemas["ActivityEntry"];
export type ActivityList = Schemas["ActivityList"];

export type CreditsStatus = Schemas["CreditsStatus"];
export type RedeemRequest = Schemas["RedeemRequest"];
export type RedeemResult = Schemas["RedeemResult"];
export type CreateIntentRequest = Schemas["CreateIntentRequest"];
export type SubmitPaymentRequest = Schemas["SubmitPaymentRequest"];
export type CancelIntentRequest = Schemas["CancelIntentRequest"];
export type CreditIntentStatus = Schemas["CreditIntentStatus"];
export type CreditIntent = Schemas["CreditIntent"];
export type X402TopUpRequest = Schemas["X402TopUpRequest"];
export type X402PaymentRequired = Schemas["X402PaymentRequired"];
export type X402PaymentRequirements = Schemas["X402PaymentRequirements"];
export type X402PaymentSignature = Schemas["X402PaymentSignature"];

export type CreateS3KeyRequest = Schemas["CreateS3KeyRequest"];
export type S3KeyCreated = Schemas["S3KeyCreated"];
export type S3Key = Schemas["S3Key"];
export type S3KeyList = Schemas["S3KeyList"];
export type S3Info = Schemas["S3Info"];
export type Bucket = Schemas["Bucket"];
export type BucketUpdate = Schemas["BucketUpdate"];
export { PollTimeoutError } from "@specyard/poll";
