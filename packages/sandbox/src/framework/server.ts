/**
 * The sandbox framework's server: `runSandbox` starts a provider's definition on a port and handles
 * each request (preflight, admin route, provider route, spec match, faults, guard, validation, rate
 * limits, handler, save). CORS lives in `cors.ts`, the admin surface in `admin.ts`, reading requests
 * and writing answers in `wire.ts`.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ADMIN_PREFIX, adminMethods, adminRoute, type SandboxAdmin } from "./admin.js";
import { SandboxClock } from "./clock.js";
import { allowHeader, corsPolicy, isPreflight, preflightAnswer, USUAL_METHODS, withCors } from "./cors.js";
import { FaultPlan, type FaultSpec } from "./faults.js";
import { stringify } from "./json.js";
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
import { MAX_BODY, readBody, requestOf, send, sendTruncated, writeRaw } from "./wire.js";

export type { SandboxAdmin } from "./admin.js";

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
      if (!res.headersSent)
        send(res, withCors(allowsOrigin, req.headers.origin, ctx.error(500, "sandbox internal error")));
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

  const finish = (request: SandboxRequest, response: SandboxResponse) =>
    withCors(allowsOrigin, request.headers.origin, definition.respond?.(request, response, ctx) ?? response);

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
    const adminPath = url.pathname.startsWith(`${ADMIN_PREFIX}/`);
    const origin = request.headers.origin;
    // A preflight from an admitted origin is answered here, before any route: one answer only.
    if (origin && isPreflight(request) && allowsOrigin(origin)) {
      if (adminPath) {
        const methods = adminMethods(url.pathname.slice(ADMIN_PREFIX.length));
        return send(res, withCors(allowsOrigin, origin, preflightAnswer(request, methods ?? USUAL_METHODS)));
      }
      return reply(request, preflightAnswer(request, methodsHere(url.pathname)));
    }
    if (adminPath)
      return send(
        res,
        withCors(allowsOrigin, origin, await adminRoute(admin, ctx.error, request.method, url, rawBody)),
      );

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
