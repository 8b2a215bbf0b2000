/**
 * The PipedAI sandbox: a stateful local PipedAI API on specyard's sandbox framework. Users register
 * and log in (scrypt passwords, an `auth_token` JWT cookie), own workspaces and environments whose
 * members hold roles (viewer < operator < admin < owner), mint `pwk_` API keys and `wrk_`
 * registration tokens, define triggers and start runs that registered workers claim, start,
 * heartbeat and complete. Runs whose worker goes silent are requeued on the sandbox clock.
 *
 * Admin actions play the parties the API itself has no route for: seeding users and workspaces,
 * configuring the dashboard's CORS origins, and handing out ready credentials for each scheme.
 */
import { randomBytes } from "node:crypto";
import type { ValidationProblem } from "../../framework/spec.js";
import type { ProviderDefinition } from "../../framework/types.js";
import spec from "../../generated/specs/pipedai.js";
import { accountHandlers, createEnvironmentRecord, createUser, mintKey } from "./account.js";
import { authorize, corsHeaders, openSession, preflight } from "./auth.js";
import { type Ctx, initialState, newId, nextSeq, own, type PipedAIState, redact } from "./state.js";
import { triggerHandlers } from "./triggers.js";
import { environmentView, userView, workspaceView } from "./views.js";
import { registerWorker, requeueSilentRuns, workerHandlers } from "./workers.js";

export { API_KEY_ROLE, AUTH_COOKIE, SESSION_TTL_MS } from "./auth.js";
export type { PipedAIState, Role } from "./state.js";
export { WORKER_ONLINE_MS } from "./views.js";
export { HEARTBEAT_TIMEOUT_MS, MAX_REQUEUES } from "./workers.js";

/** Login and registration per client IP; runs per trigger (the document gives no numbers). */
export const RATE_LIMITS = {
  login: { limit: 30, windowMs: 60_000 },
  register: { limit: 30, windowMs: 60_000 },
  runTrigger: { limit: 60, windowMs: 60_000 },
} as const;

type Details = { fieldErrors: Record<string, string[]>; formErrors: string[] };

/** The framework's validation problems in Zod's flattened shape (`fieldErrors`, `formErrors`). */
function zodDetails(details: unknown): Details | undefined {
  if (!details || typeof details !== "object") return undefined;
  if ("fieldErrors" in details) return details as Details;
  const problems = (details as { problems?: ValidationProblem[] }).problems;
  if (!Array.isArray(problems)) return undefined;
  const out: Details = { fieldErrors: {}, formErrors: [] };
  for (const { field, message } of problems) {
    const name = field.split(".").slice(1).join(".");
    if (!name) out.formErrors.push(message);
    else if (Object.hasOwn(out.fieldErrors, name)) out.fieldErrors[name]?.push(message);
    else Object.defineProperty(out.fieldErrors, name, { value: [message], enumerable: true, writable: true });
  }
  return out;
}

/** Operations whose request body the spec requires. */
const BODY_REQUIRED = new Set(
  Object.values(
    spec.paths as Record<
      string,
      Record<string, { operationId?: string; requestBody?: { required?: boolean } }>
    >,
  )
    .flatMap((item) => Object.values(item))
    .filter((op) => op.requestBody?.required)
    .map((op) => String(op.operationId)),
);

/**
 * A JSON `null` body is a 400 where a body is required and no body elsewhere (the framework hands
 * `null` to schema validation as the raw bytes, which an object schema without required fields
 * accepts).
 */
const handlers = Object.fromEntries(
  Object.entries({ ...accountHandlers, ...triggerHandlers, ...workerHandlers }).map(([id, handler]) => [
    id,
    async (request, ctx) => {
      if (request.body === null) {
        if (BODY_REQUIRED.has(id))
          return ctx.error(400, "Invalid request body", {
            fieldErrors: {},
            formErrors: ["Expected object, received null"],
          });
        request.body = undefined;
      }
      return handler(request, ctx);
    },
  ]),
) as ProviderDefinition<PipedAIState>["handlers"];

function userOf(ctx: Ctx, input: Record<string, unknown>) {
  const email = typeof input.ownerEmail === "string" ? input.ownerEmail.toLowerCase() : undefined;
  const user =
    own(ctx.state.users, input.ownerId) ?? Object.values(ctx.state.users).find((u) => u.email === email);
  if (!user) throw new Error("no such user: pass ownerId or ownerEmail");
  return user;
}

async function seedUser(ctx: Ctx, input: Record<string, unknown>) {
  const email = typeof input.email === "string" ? input.email : `user-${newId(ctx).slice(0, 8)}@sandbox.test`;
  const password =
    typeof input.password === "string" ? input.password : randomBytes(12).toString("base64url");
  const user = await createUser(ctx, {
    email,
    password,
    name: typeof input.name === "string" ? input.name : null,
  });
  if (!user) throw new Error(`email ${email} is already registered`);
  return { user: userView(user), password, authToken: await openSession(ctx, user) };
}

function seedWorkspace(ctx: Ctx, input: Record<string, unknown>) {
  const owner = userOf(ctx, input);
  const ws = {
    id: newId(ctx),
    name: typeof input.name === "string" ? input.name : "Sandbox workspace",
    ownerId: owner.id,
    createdAt: ctx.clock.now(),
    seq: nextSeq(ctx),
  };
  ctx.state.workspaces[ws.id] = ws;
  const env = createEnvironmentRecord(
    ctx,
    ws.id,
    typeof input.environmentName === "string" ? input.environmentName : "production",
    owner,
  );
  return { workspace: workspaceView(ws), environment: environmentView(env) };
}

export const pipedai: ProviderDefinition<PipedAIState> = {
  name: "pipedai",
  spec,
  initialState: (seed) => initialState(seed, randomBytes(32).toString("hex")),
  errorBody: (_status, message, details) => {
    const zod = zodDetails(details);
    return zod ? { error: message, details: zod } : { error: message };
  },
  handlers,
  rateLimits: [
    { operations: ["login"], ...RATE_LIMITS.login },
    { operations: ["register"], ...RATE_LIMITS.register },
    { operations: ["runTrigger"], ...RATE_LIMITS.runTrigger, key: (request) => String(request.params.id) },
  ],
  rateLimitBody: (decision) => ({
    error: `Too many requests: retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
  }),
  /** Due requeues first (the clock may have moved without an advance), then auth, visibility, role. */
  async guard(request, ctx) {
    if (requeueSilentRuns(ctx, ctx.clock.now())) ctx.save();
    return authorize(ctx, request);
  },
  /**
   * Every answer to an allowed `Origin` carries the credentialed CORS headers, errors included.
   * Allowed: the dashboard origins (`setAllowedOrigins`) and every origin the framework admits
   * (loopback, `corsOrigins`), so a page on localhost can send the session cookie too. The
   * framework then adds its exposed headers and answers nothing twice.
   */
  respond: (request, response, ctx) => {
    const origin = request.headers.origin;
    const own = corsHeaders(ctx, request);
    const credentialed =
      !own["Access-Control-Allow-Origin"] && origin && ctx.allowsOrigin(origin)
        ? {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            Vary: "Origin",
          }
        : own;
    return { ...response, headers: { ...credentialed, ...response.headers } };
  },
  onClock: (ctx, now) => {
    requeueSilentRuns(ctx, now);
  },
  async start(ctx) {
    return { route: (request) => preflight(ctx, request) };
  },
  redactState: redact,
  actions: {
    /** A user with a password (given or generated) and a ready `auth_token` session. */
    seedUser,
    /** A workspace with one environment, owned by `ownerId` / `ownerEmail`. */
    seedWorkspace,
    /** The dashboard origins credentialed CORS answers for. */
    setAllowedOrigins: (ctx, input) => {
      const origins = input.origins;
      if (!Array.isArray(origins) || !origins.every((o) => typeof o === "string"))
        throw new Error("origins must be a list of strings");
      ctx.state.allowedOrigins = [...origins];
      return { origins: ctx.state.allowedOrigins };
    },
    /**
     * A fresh user, workspace, environment, `pwk_` key and registered worker, with one credential
     * per security scheme of the spec (for the contract suite and quick experiments).
     */
    credentials: async (ctx) => {
      const { user, authToken } = await seedUser(ctx, {});
      const { workspace, environment } = seedWorkspace(ctx, { ownerId: user.id });
      const env = own(ctx.state.environments, environment.id);
      if (!env) throw new Error("environment vanished");
      const apiKey = mintKey(ctx, env, { name: "sandbox", prefix: "pwk" }, user.id);
      const registration = mintKey(ctx, env, { name: "sandbox worker", prefix: "wrk" }, user.id);
      const registered = registerWorker(ctx, registration.token, "sandbox-worker");
      if (!registered) throw new Error("worker registration failed");
      return {
        authTokenCookie: authToken,
        pwkApiKey: apiKey.token,
        wktWorkerToken: registered.token,
        userId: user.id,
        workspaceId: workspace.id,
        environmentId: environment.id,
        workerId: registered.worker.id,
      };
    },
  },
};
