import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { SandboxClock } from "./clock.js";
import type { FaultRule } from "./faults.js";
import type { RateDecision, RateRule } from "./ratelimit.js";
import type { Doc } from "./spec.js";

/** A request as a handler sees it: validated and coerced against the spec. */
export interface SandboxRequest {
  operationId: string;
  method: string;
  /** The URL path, e.g. `/v1/feed/abc`. */
  path: string;
  url: URL;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  rawQuery: URLSearchParams;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string | undefined>;
  cookies: Record<string, string>;
  /** Parsed JSON when the body was JSON, else undefined (see rawBody). */
  body: unknown;
  rawBody: Buffer;
  ip: string;
  host: string;
}

export interface SandboxResponse {
  status: number;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: Uint8Array | string;
  contentType?: string;
  headers?: Record<string, string | string[]>;
}

export interface ProviderContext<S> {
  state: S;
  readonly clock: SandboxClock;
  /** Seeded randomness: ids and tokens are reproducible for a given seed. */
  readonly random: () => number;
  /** The sandbox's own base URL (http://127.0.0.1:PORT). */
  readonly baseUrl: string;
  readonly dataDir: string | undefined;
  /** The provider's error shape. */
  error(status: number, message: string, details?: unknown): SandboxResponse;
  /**
   * Whether the framework's CORS policy admits this `Origin` (loopback origins on any port, plus
   * `SandboxOptions.corsOrigins`): for a `respond` hook that adds its own CORS headers, such as
   * credentials, to the same origins.
   */
  allowsOrigin(origin: string): boolean;
  /** Persists now (for changes made outside a request, e.g. on a clock advance). */
  save(): void;
}

export type Handler<S> = (
  request: SandboxRequest,
  ctx: ProviderContext<S>,
) => SandboxResponse | Promise<SandboxResponse>;

/** Live parts a provider runs beside its HTTP API (a ledger, an S3 store). */
export interface ProviderRuntime {
  /** Extra fields for `startSandbox`'s result (e.g. `{ solana: { rpcUrl } }`). */
  info?: Record<string, unknown>;
  /** JSON-safe state of the live parts, saved with the provider state. */
  snapshot?(): unknown;
  close?(): Promise<void>;
  /** Routes outside the spec, tried before spec routing (e.g. Git Smart HTTP). */
  route?(request: SandboxRequest): SandboxResponse | Promise<SandboxResponse> | undefined;
  /**
   * HTTP upgrades (WebSockets) on the sandbox's own port. Return nothing when taken (the provider
   * then owns the socket), or the refusal, which the framework writes as plain HTTP. Without the
   * hook every upgrade is answered 404 in the provider's error shape.
   */
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): SandboxResponse | undefined;
}

export interface ProviderDefinition<S> {
  name: string;
  spec: Doc;
  initialState(seed: string): S;
  errorBody(status: number, message: string, details?: unknown): unknown;
  handlers: Record<string, Handler<S>>;
  rateLimits?: readonly RateRule[];
  /** The 429 body (default: the error body). */
  rateLimitBody?(decision: RateDecision): unknown;
  /** Starts live parts; `snapshot` is what `ProviderRuntime.snapshot` saved last time, if any. */
  start?(ctx: ProviderContext<S>, snapshot: unknown): Promise<ProviderRuntime>;
  /** "Other party" actions for the admin surface: an operator, a client, a payer. */
  actions?: Record<
    string,
    (ctx: ProviderContext<S>, input: Record<string, unknown>) => unknown | Promise<unknown>
  >;
  /**
   * Runs after routing and before validation: for checks the document orders before schema
   * validation (auth first, size limits with their own status). Return a response to answer now.
   */
  guard?(
    request: SandboxRequest,
    ctx: ProviderContext<S>,
  ): SandboxResponse | undefined | Promise<SandboxResponse | undefined>;
  /**
   * Sees every answer to an API request before it is sent, the framework's own included (404,
   * 405, validation, 413, 429, faults, preflights): for headers every answer carries. The
   * framework adds its CORS headers afterwards and keeps an `Access-Control-Allow-Origin` the hook
   * set, so a provider with its own CORS policy (credentials, more origins) sets that header here.
   */
  respond?(request: SandboxRequest, response: SandboxResponse, ctx: ProviderContext<S>): SandboxResponse;
  /** Called on every clock advance (expiries, auto-completion). */
  onClock?(ctx: ProviderContext<S>, now: number): void;
  /** Strips secrets from state shown by the admin surface. */
  redactState?(state: S): unknown;
}

export interface SandboxOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Always loopback unless you say otherwise. */
  host?: string;
  seed?: string | number;
  dataDir?: string;
  faults?: FaultRule[];
  /** `false` lifts the documented rate limits (for benchmarks); on by default. */
  rateLimits?: boolean;
  /**
   * Browser origins CORS admits besides the default loopback ones (`http://localhost:*`,
   * `http://127.0.0.1:*`, `http://[::1]:*`): exact origins such as `https://app.example`, or `*`
   * for any. Admitted origins are echoed, never answered with a bare `*`.
   */
  corsOrigins?: readonly string[];
}
