import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { SandboxClock } from "./clock.js";
import { FaultPlan, type FaultRule, type FaultSpec } from "./faults.js";
import { stringify, toWireJson } from "./json.js";
import { StateFile } from "./persist.js";
import { seededRandom } from "./random.js";
import { RateLimits, rateLimitHeaders } from "./ratelimit.js";
import { CompiledSpec, type ValidationProblem } from "./spec.js";
import type {
  ProviderContext,
  ProviderDefinition,
  ProviderRuntime,
  SandboxOptions,
  SandboxRequest,
  SandboxResponse,
} from "./types.js";

const ADMIN_PREFIX = "/__sandbox";
const MAX_BODY = 64 * 1024 * 1024;
/** The admin routes and their methods, for `Allow` and preflights. */
const ADMIN_METHODS: ReadonlyArray<[RegExp, string[]]> = [
  [/^\/state$/, ["GET"]],
  [/^\/reset$/, ["POST"]],
  [/^\/clock$/, ["GET", "POST"]],
  [/^\/faults$/, ["GET", "PUT"]],
  [/^\/stats$/, ["GET"]],
  [/^\/actions\/[^/]+$/, ["POST"]],
];
/** What a preflight lists for paths outside the spec (a provider's own routes). */
const USUAL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
/** Origins every sandbox admits: a page served from this machine, on any port. */
const LOOPBACK_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
/** Headers a page may read besides the CORS-safelisted ones (each answer's own are added). */
const EXPOSED_HEADERS = [
  "Location",
  "Retry-After",
  "Retry-After-Ms",
  "X-Request-Id",
  "Request-Id",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
  "RateLimit",
  "RateLimit-Policy",
  "ETag",
  "Link",
  "Content-Disposition",
];
const SAFELISTED = new Set([
  "cache-control",
  "content-language",
  "content-length",
  "content-type",
  "expires",
  "last-modified",
  "pragma",
  "set-cookie",
  "vary",
]);
const PREFLIGHT_MAX_AGE = "600";

/** What a running sandbox offers its owner besides HTTP. */
export interface SandboxAdmin<S = unknown> {
  clock: SandboxClock;
  /** The live state (mutable; call `save()` after changing it by hand). */
  state(): S;
  /** State as the admin HTTP route shows it (secrets stripped). */
  inspect(): unknown;
  reset(seed?: string | number): Promise<void>;
  setFaults(rules: FaultRule[]): void;
  faults(): FaultRule[];
  /** 429s the rate limiter sent, and faults applied, by kind. */
  stats(): { rateLimited: Record<string, number>; faults: Record<string, number>; requests: number };
  act(action: string, input?: Record<string, unknown>): Promise<unknown>;
  save(): void;
}

export interface Sandbox<S = unknown> {
  provider: string;
  url: string;
  admin: SandboxAdmin<S>;
  /** Extra endpoints of the live parts (e.g. `solana.rpcUrl`, `s3.endpoint`). */
  info: Record<string, unknown>;
  close(): Promise<void>;
}

export async function runSandbox<S>(
  definition: ProviderDefinition<S>,
  options: SandboxOptions = {},
): Promise<Sandbox<S>> {
  const spec = new CompiledSpec(definition.spec);
  const clock = new SandboxClock();
  let seed = String(options.seed ?? "specyard");
  const file = options.dataDir ? new StateFile(options.dataDir, definition.name) : undefined;
  const saved = file?.load<{
    state: S;
    clockOffset: number;
    runtime: unknown;
    seed: string;
    draws?: number;
    rateWindows?: Record<string, number[]>;
  }>();
  if (saved) {
    seed = saved.seed;
    clock.offset = saved.clockOffset;
  }
  let random = seededRandom(seed);
  // Draws already taken before a restart are replayed, so ids made from them never repeat.
  let draws = 0;
  for (; draws < (saved?.draws ?? 0); draws++) random();
  const limits = new RateLimits(options.rateLimits === false ? [] : (definition.rateLimits ?? []));
  if (saved?.rateWindows) limits.restore(saved.rateWindows);
  const faults = new FaultPlan(options.faults ?? [], seededRandom(`${seed}:faults`));
  let requests = 0;
  let runtime: ProviderRuntime = {};
  let baseUrl = "";
  const allowsOrigin = corsPolicy(options.corsOrigins ?? []);

  const ctx: ProviderContext<S> = {
    state: saved?.state ?? definition.initialState(seed),
    clock,
    random: () => {
      draws++;
      return random();
    },
    get baseUrl() {
      return baseUrl;
    },
    dataDir: options.dataDir,
    error: (status, message, details) => ({ status, body: definition.errorBody(status, message, details) }),
    allowsOrigin,
    save: () =>
      file?.save({
        state: ctx.state,
        clockOffset: clock.offset,
        runtime: runtime.snapshot?.(),
        seed,
        draws,
        rateWindows: limits.snapshot(),
      }),
  };
  clock.onAdvance((now) => {
    definition.onClock?.(ctx, now);
    ctx.save();
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A sandbox bug: answer in the provider's shape, never leak a stack to the client.
      process.stderr.write(
        `[sandbox ${definition.name}] ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      if (!res.headersSent) send(res, withCors(req.headers.origin, ctx.error(500, "sandbox internal error")));
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://sandbox.invalid").pathname;
    const refusal = runtime.upgrade
      ? runtime.upgrade(req, socket, head)
      : ctx.error(404, `no WebSocket at ${path}`);
    if (refusal) writeRaw(socket, refusal);
  });
  // Requests Node's parser refuses (bad header characters, a broken request line) never reach
  // `handle`: they get the provider's error shape too, then the connection closes.
  server.on("clientError", (error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const status =
      error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    // The parser's reason names the fault, never the bytes sent (they may hold a credential).
    const reason = error.reason ?? STATUS_CODES[status] ?? "bad request";
    writeRaw(
      socket,
      ctx.error(status, `malformed HTTP request: ${reason}${error.code ? ` (${error.code})` : ""}`),
    );
  });

  /** The framework's CORS headers on an answer to `origin` (after the provider's `respond`). */
  function withCors(origin: string | undefined, response: SandboxResponse): SandboxResponse {
    if (!origin) return response;
    const headers = { ...response.headers };
    addVary(headers, "Origin");
    const given = headerOf(headers, "access-control-allow-origin");
    if (given === undefined && !allowsOrigin(origin)) return { ...response, headers };
    if (given === undefined) headers["Access-Control-Allow-Origin"] = origin;
    if (headerOf(headers, "access-control-expose-headers") === undefined)
      headers["Access-Control-Expose-Headers"] = exposedHeaders(headers);
    return { ...response, headers };
  }

  const finish = (request: SandboxRequest, response: SandboxResponse) =>
    withCors(request.headers.origin, definition.respond?.(request, response, ctx) ?? response);

  /** The spec's methods on a path, or the usual ones for a path outside it (a provider's own routes). */
  const methodsHere = (pathname: string) => {
    const methods = spec.methodsOf(pathname);
    return methods.length ? methods : USUAL_METHODS;
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    requests++;
    const reply = (request: SandboxRequest, response: SandboxResponse) =>
      send(res, finish(request, response));
    const url = new URL(req.url ?? "/", "http://sandbox.invalid");
    const rawBody = await readBody(req);
    if (rawBody === undefined) {
      const request = requestOf(req, url, Buffer.alloc(0));
      return reply(request, ctx.error(413, `request body over ${MAX_BODY} bytes`));
    }
    const request = requestOf(req, url, rawBody);
    const admin = url.pathname.startsWith(`${ADMIN_PREFIX}/`);
    const origin = request.headers.origin;
    // A preflight from an admitted origin is answered here, before any route: one answer only.
    if (origin && isPreflight(request) && allowsOrigin(origin)) {
      if (admin) {
        const methods = adminMethods(url.pathname.slice(ADMIN_PREFIX.length));
        return send(res, withCors(origin, preflightAnswer(request, methods ?? USUAL_METHODS)));
      }
      return reply(request, preflightAnswer(request, methodsHere(url.pathname)));
    }
    if (admin) return send(res, withCors(origin, await adminRoute(request.method, url, rawBody)));

    const extra = await runtime.route?.(request);
    if (extra) return reply(request, extra);

    const match = spec.match(request.method, url.pathname);
    if (match === undefined)
      return reply(request, ctx.error(404, `no route ${request.method} ${url.pathname}`));
    if (match === "method") {
      const allow = allowHeader(spec.methodsOf(url.pathname));
      // OPTIONS on a path the spec has (a preflight from an origin not admitted, too) lists the methods.
      if (request.method === "OPTIONS") return reply(request, { status: 204, headers: { Allow: allow } });
      return reply(request, {
        ...ctx.error(405, `${request.method} is not allowed on ${url.pathname}`),
        headers: { Allow: allow },
      });
    }
    const { operation } = match;
    request.operationId = operation.operationId;

    const fault = faults.draw(operation.operationId, url.pathname);
    if (fault && (await applyFaultBefore(fault, res, (response) => reply(request, response)))) return;

    request.params = match.params;
    const guarded = await definition.guard?.(request, ctx);
    if (guarded) return reply(request, guarded);

    const checked = spec.validateParams(operation, {
      path: match.params,
      query: url.searchParams,
      headers: req.headers,
      cookies: request.cookies,
    });
    if (!checked.ok) return reply(request, invalid(operation.op, checked.problems));
    request.params = checked.input.params;
    request.query = checked.input.query;

    const bodyTypes = operation.body?.mediaTypes ?? [];
    // A body sent without a content type is read as JSON when JSON is all the operation takes.
    const contentType =
      request.headers["content-type"] ??
      (rawBody.length && bodyTypes.length && bodyTypes.every((t) => t.includes("json"))
        ? "application/json"
        : undefined);
    let parsed = false;
    // Only operations that take a body read one: a body sent to a DELETE is ignored, as servers do.
    if (operation.body && rawBody.length && (contentType ?? "").includes("json")) {
      try {
        request.body = JSON.parse(rawBody.toString("utf8"));
        parsed = true;
      } catch {
        return reply(request, invalid(operation.op, [{ field: "body", message: "is not valid JSON" }]));
      }
    }
    const bodyProblems = operation.body
      ? spec.validateBody(
          operation,
          rawBody.length ? (parsed ? request.body : rawBody) : undefined,
          contentType,
        )
      : [];
    if (bodyProblems.length) return reply(request, invalid(operation.op, bodyProblems));

    const rule = limits.ruleFor(operation.operationId);
    let limitHeaders: Record<string, string> = {};
    if (rule) {
      const decision = limits.take(rule, request, clock.now());
      limitHeaders = rateLimitHeaders(decision);
      if (!decision.allowed) {
        const body = definition.rateLimitBody?.(decision) ?? definition.errorBody(429, "rate limit exceeded");
        return reply(request, { status: 429, body, headers: limitHeaders });
      }
    }

    const handler = definition.handlers[operation.operationId];
    const response = handler
      ? await handler(request, ctx)
      : ctx.error(501, `${operation.operationId} is not implemented by the sandbox`);
    response.headers = { ...limitHeaders, ...response.headers };
    if (!["GET", "HEAD"].includes(request.method) && response.status < 400) ctx.save();
    if (fault?.kind === "reset-after") {
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === "truncated") return sendTruncated(res, finish(request, response));
    reply(request, response);
  }

  function invalid(
    op: Record<string, { [status: string]: unknown }>,
    problems: ValidationProblem[],
  ): SandboxResponse {
    const responses = (op.responses ?? {}) as Record<string, unknown>;
    const status = "400" in responses ? 400 : "422" in responses ? 422 : 400;
    const message = `invalid request: ${problems.map((p) => `${p.field} ${p.message}`).join("; ")}`;
    return ctx.error(status, message, { problems });
  }

  async function applyFaultBefore(
    fault: FaultSpec,
    res: ServerResponse,
    reply: (response: SandboxResponse) => void,
  ): Promise<boolean> {
    switch (fault.kind) {
      case "latency":
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        return false;
      case "reset":
        res.socket?.destroy();
        return true;
      case "server-error":
        reply(ctx.error(fault.status ?? 503, "injected fault"));
        return true;
      case "rate-limit": {
        const ms = fault.ms ?? 1000;
        const headers: Record<string, string> = {};
        const body = definition.errorBody(fault.status ?? 429, "injected rate limit") as Record<
          string,
          unknown
        >;
        if (fault.hint === "retry-after" || fault.hint === undefined)
          headers["Retry-After"] = String(Math.ceil(ms / 1000));
        if (fault.hint === "retry-after-ms") headers["retry-after-ms"] = String(ms);
        const payload =
          fault.hint === "body" && body && typeof body === "object" ? { ...body, retry_after_ms: ms } : body;
        reply({ status: fault.status ?? 429, body: payload, headers });
        return true;
      }
      default:
        return false; // reset-after and truncated act after the handler
    }
  }

  async function adminRoute(method: string, url: URL, rawBody: Buffer): Promise<SandboxResponse> {
    const route = url.pathname.slice(ADMIN_PREFIX.length);
    try {
      const input = rawBody.length ? (JSON.parse(rawBody.toString("utf8")) as Record<string, unknown>) : {};
      if (route === "/state" && method === "GET") return { status: 200, body: admin.inspect() };
      if (route === "/reset" && method === "POST") {
        await admin.reset(input.seed as string | undefined);
        return { status: 200, body: { ok: true } };
      }
      if (route === "/clock" && method === "GET")
        return { status: 200, body: { now: clock.now(), offsetMs: clock.offset } };
      if (route === "/clock" && method === "POST") {
        return {
          status: 200,
          body: { now: clock.advance(Number(input.advanceMs ?? 0)), offsetMs: clock.offset },
        };
      }
      if (route === "/faults" && method === "GET") return { status: 200, body: admin.faults() };
      if (route === "/faults" && method === "PUT") {
        admin.setFaults((Array.isArray(input) ? input : (input.rules ?? [])) as FaultRule[]);
        return { status: 200, body: admin.faults() };
      }
      if (route === "/stats" && method === "GET") return { status: 200, body: admin.stats() };
      if (route.startsWith("/actions/") && method === "POST") {
        return {
          status: 200,
          body: (await admin.act(route.slice("/actions/".length), input)) ?? { ok: true },
        };
      }
    } catch (error) {
      return ctx.error(400, error instanceof Error ? error.message : String(error));
    }
    const methods = adminMethods(route);
    if (methods && method === "OPTIONS") return { status: 204, headers: { Allow: allowHeader(methods) } };
    if (methods)
      return {
        ...ctx.error(405, `${method} is not allowed on ${url.pathname}`),
        headers: { Allow: allowHeader(methods) },
      };
    return ctx.error(404, `no admin route ${method} ${route}`);
  }

  const admin: SandboxAdmin<S> = {
    clock,
    state: () => ctx.state,
    inspect: () =>
      JSON.parse(stringify(definition.redactState ? definition.redactState(ctx.state) : ctx.state)),
    reset: async (newSeed) => {
      seed = String(newSeed ?? seed);
      random = seededRandom(seed);
      draws = 0;
      ctx.state = definition.initialState(seed);
      limits.reset();
      ctx.save();
    },
    setFaults: (rules) => faults.set(rules),
    faults: () => faults.rules(),
    stats: () => ({
      rateLimited: Object.fromEntries(limits.rejected),
      faults: Object.fromEntries(faults.applied),
      requests,
    }),
    act: async (action, input = {}) => {
      const run = definition.actions?.[action];
      if (!run)
        throw new Error(
          `unknown action ${action}; have: ${Object.keys(definition.actions ?? {}).join(", ")}`,
        );
      const result = await run(ctx, input);
      ctx.save();
      return result;
    },
    save: () => ctx.save(),
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${address.address}:${address.port}`;
  runtime = (await definition.start?.(ctx, saved?.runtime)) ?? {};
  if (!saved) ctx.save();

  return {
    provider: definition.name,
    url: baseUrl,
    admin,
    info: runtime.info ?? {},
    close: async () => {
      // Requests that change nothing (reads) still count against rate limits: keep their windows.
      ctx.save();
      await runtime.close?.();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function requestOf(req: IncomingMessage, url: URL, rawBody: Buffer): SandboxRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  const cookies: Record<string, string> = {};
  for (const pair of (headers.cookie ?? "").split(/;\s*/)) {
    const at = pair.indexOf("=");
    if (at > 0) cookies[pair.slice(0, at).trim()] = safeDecode(pair.slice(at + 1).trim());
  }
  return {
    operationId: "",
    method: (req.method ?? "GET").toUpperCase(),
    path: url.pathname,
    url,
    params: {},
    query: {},
    rawQuery: url.searchParams,
    headers,
    cookies,
    body: undefined,
    rawBody,
    ip: req.socket.remoteAddress ?? "127.0.0.1",
    host: headers.host ?? "",
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function encode(response: SandboxResponse): { body: Buffer; type: string } {
  if (response.raw !== undefined) {
    return { body: Buffer.from(response.raw), type: response.contentType ?? "application/octet-stream" };
  }
  if (response.body === undefined)
    return { body: Buffer.alloc(0), type: response.contentType ?? "application/json" };
  return { body: Buffer.from(toWireJson(response.body)), type: response.contentType ?? "application/json" };
}

/**
 * Writes a whole HTTP/1.1 answer on a bare socket, then closes it: a refused upgrade, or a request
 * Node's parser refused (no `ServerResponse` exists for either).
 */
function writeRaw(socket: Duplex, response: SandboxResponse) {
  const { body, type } = encode(response);
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`];
  for (const [name, value] of Object.entries({ ...response.headers, "content-type": type }))
    for (const each of [value].flat()) lines.push(`${name}: ${each}`);
  lines.push(`content-length: ${body.length}`, "connection: close", "", "");
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
}

// --- CORS and Allow ------------------------------------------------------------------------------

/** The origins a sandbox admits: loopback ones on any port, the given exact origins, or any (`*`). */
function corsPolicy(extra: readonly string[]): (origin: string) => boolean {
  const any = extra.includes("*");
  const exact = new Set(extra.filter((origin) => origin !== "*").map((origin) => normalizeOrigin(origin)));
  return (origin) => any || LOOPBACK_ORIGIN.test(origin) || exact.has(origin.toLowerCase());
}

/** `https://App.example/` as a browser sends it: `https://app.example`. */
function normalizeOrigin(origin: string): string {
  try {
    const parsed = new URL(origin);
    return parsed.origin === "null" ? origin.toLowerCase() : parsed.origin;
  } catch {
    return origin.toLowerCase();
  }
}

function isPreflight(request: SandboxRequest): boolean {
  return request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined;
}

/** 204 for a preflight from an admitted origin (the framework adds the origin afterwards). */
function preflightAnswer(request: SandboxRequest, methods: readonly string[]): SandboxResponse {
  const asked = request.headers["access-control-request-headers"];
  return {
    status: 204,
    headers: {
      "Access-Control-Allow-Methods": allowHeader(methods),
      ...(asked ? { "Access-Control-Allow-Headers": asked } : {}),
      // Chrome's Private Network Access: a public page may call this loopback server once admitted.
      ...(request.headers["access-control-request-private-network"] === "true"
        ? { "Access-Control-Allow-Private-Network": "true" }
        : {}),
      "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
      Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    },
  };
}

function adminMethods(route: string): string[] | undefined {
  return ADMIN_METHODS.find(([pattern]) => pattern.test(route))?.[1];
}

/** `Allow`: the methods answered on a path, OPTIONS included (the framework answers it). */
function allowHeader(methods: readonly string[]): string {
  return [...new Set([...methods, "OPTIONS"])].join(", ");
}

function headerOf(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === name) return [value].flat().join(", ");
  return undefined;
}

/** Adds a token to `Vary`, once, whatever the case of the header name already there. */
function addVary(headers: Record<string, string | string[]>, token: string) {
  const tokens: string[] = [];
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== "vary") continue;
    tokens.push(...[headers[key] ?? []].flat().flatMap((value) => value.split(",")));
    delete headers[key];
  }
  const seen = new Set<string>();
  const merged = [...tokens.map((each) => each.trim()).filter(Boolean), token].filter((each) => {
    const key = each.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  headers.Vary = merged.join(", ");
}

/** The usual headers a client reads, and every header this answer carries beyond the safelisted. */
function exposedHeaders(headers: Record<string, string | string[]>): string {
  const names = new Map(EXPOSED_HEADERS.map((name) => [name.toLowerCase(), name]));
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (!SAFELISTED.has(lower) && !lower.startsWith("access-control-") && !names.has(lower))
      names.set(lower, name);
  }
  return [...names.values()].join(", ");
}

function send(res: ServerResponse, response: SandboxResponse) {
  const { body, type } = encode(response);
  const headers: Record<string, string | string[]> = { ...response.headers };
  if (body.length || response.body !== undefined || response.contentType) headers["content-type"] = type;
  headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

function sendTruncated(res: ServerResponse, response: SandboxResponse) {
  const { body, type } = encode(response);
  res.writeHead(response.status, {
    ...response.headers,
    "content-type": type,
    "content-length": String(body.length + 64),
  });
  res.write(body.subarray(0, Math.floor(body.length / 2)));
  setTimeout(() => res.socket?.destroy(), 5);
}

/** `decodeURIComponent`, keeping a malformed escape as it came instead of throwing. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
