/**
 * How the outside reaches an agent's ports (path routes, Pinata subdomains, custom domains with
 * their TXT challenge) and its scheduled tasks. Limits follow Pinata's documentation: 10 path
 * routes and 5 domains per agent, container ports 1025–65535 except the gateway's 18789, and the
 * path prefixes `/v0`, `/chat` and `/config` are reserved.
 */
import type { Handler } from "../../framework/types.js";
import { agentOf } from "./auth.js";
import { parseCron } from "./cron.js";
import { log, nextRunOf, startRun } from "./lifecycle.js";
import {
  type AgentRecord,
  type Ctx,
  type DomainRecord,
  iso,
  isoOrNull,
  newId,
  type PinataState,
  type RunRecord,
  randomChars,
  sha256,
  type TaskRecord,
} from "./state.js";

type H = Handler<PinataState>;
const OK = { status: 200, body: { success: true } };

export const MAX_PATH_ROUTES = 10;
export const MAX_DOMAINS = 5;
export const GATEWAY_PORT = 18789;
const RESERVED_PATHS = ["/v0", "/chat", "/config"];
const APPS_DOMAIN = "apps.pinata.cloud";

function portProblem(port: number): string | undefined {
  if (port < 1025) return `port ${port} is below 1025`;
  if (port === GATEWAY_PORT) return `port ${GATEWAY_PORT} is the gateway's`;
  return undefined;
}

// --- path routes ------------------------------------------------------------------------------

export const getPortForwarding: H = (request) => ({
  status: 200,
  body: { routes: agentOf(request).portForwarding },
});

export const replacePortForwarding: H = (request, ctx) => {
  const agent = agentOf(request);
  const routes = (request.body as { routes: Array<{ port: number; path: string; protected?: boolean }> })
    .routes;
  const problems: string[] = [];
  if (routes.length > MAX_PATH_ROUTES) problems.push(`at most ${MAX_PATH_ROUTES} path routes`);
  const seen = new Set<string>();
  for (const route of routes) {
    const port = portProblem(route.port);
    if (port) problems.push(port);
    if (!/^\/(?:[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*)?$/.test(route.path))
      problems.push(`path ${route.path} may hold letters, digits, - and _ only`);
    if (RESERVED_PATHS.some((r) => route.path === r || route.path.startsWith(`${r}/`)))
      problems.push(`path ${route.path} is reserved`);
    if (seen.has(route.path)) problems.push(`path ${route.path} is given twice`);
    seen.add(route.path);
  }
  if (problems.length) return ctx.error(400, `Validation failed: ${problems.join("; ")}`);
  agent.portForwarding = routes.map((r) => ({ port: r.port, path: r.path, protected: r.protected ?? false }));
  log(ctx, agent, "INFO", "routes", `path routes replaced (${routes.length})`);
  return { status: 200, body: { routes: agent.portForwarding } };
};

// --- domains ----------------------------------------------------------------------------------

const domainView = (d: DomainRecord) => ({ ...d });

const hostnameTaken = (ctx: Ctx, hostname: string) =>
  Object.values(ctx.state.agents).some((a) => a.domains.some((d) => d.hostname === hostname));

/** The TXT record proving a custom domain: the same domain always gets the same value. */
export function challengeFor(ctx: Ctx, domain: string) {
  const name = domain.toLowerCase();
  return {
    name: `_pinata-verify.${name}`,
    value: `pinata-verify=${sha256(`${ctx.state.jwtSecret}:${name}`).slice(0, 32)}`,
  };
}

const WORDS = [
  "glow",
  "kite",
  "swift",
  "fox",
  "calm",
  "river",
  "bold",
  "pine",
  "amber",
  "wave",
  "lucky",
  "owl",
];

function randomSubdomain(ctx: Ctx): string {
  const word = () => WORDS[Math.floor(ctx.random() * WORDS.length)];
  return `${word()}-${word()}-${randomChars(ctx, 3, "0123456789")}`;
}

const domainOf = (agent: AgentRecord, id: unknown) => agent.domains.find((d) => d.domainId === id);

export const listDomains: H = (request) => ({
  status: 200,
  body: { domains: agentOf(request).domains.map(domainView) },
});

export const registerDomain: H = (request, ctx) => {
  const agent = agentOf(request);
  const body = request.body as {
    subdomain?: string;
    customDomain?: string;
    port: number;
    protected?: boolean;
  };
  if (body.subdomain !== undefined && body.customDomain !== undefined)
    return ctx.error(409, "Give subdomain or customDomain, not both");
  if (agent.domains.length >= MAX_DOMAINS)
    return ctx.error(409, `An agent has at most ${MAX_DOMAINS} domains`);
  const port = portProblem(body.port);
  if (port) return ctx.error(400, `Validation failed: ${port}`);
  let record: DomainRecord;
  if (body.customDomain !== undefined) {
    const hostname = body.customDomain.toLowerCase();
    if (hostname === "pinata.cloud" || hostname.endsWith(".pinata.cloud"))
      return ctx.error(400, "Validation failed: use subdomain for *.pinata.cloud names");
    if (hostnameTaken(ctx, hostname)) return ctx.error(409, "This domain is already registered");
    record = {
      domainId: newId(ctx, "dom"),
      customDomain: hostname,
      hostname,
      port: body.port,
      protected: body.protected ?? false,
      verified: false,
    };
  } else {
    const label = (body.subdomain ?? randomSubdomain(ctx)).toLowerCase();
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label))
      return ctx.error(400, "Validation failed: subdomain must be one DNS label (letters, digits, -)");
    const hostname = `${label}.${APPS_DOMAIN}`;
    if (hostnameTaken(ctx, hostname)) return ctx.error(409, "This subdomain is already taken");
    record = {
      domainId: newId(ctx, "dom"),
      subdomain: label,
      hostname,
      port: body.port,
      protected: body.protected ?? false,
      verified: true,
    };
  }
  agent.domains.push(record);
  log(ctx, agent, "INFO", "routes", `domain ${record.hostname} → port ${record.port} registered`);
  return { status: 201, body: domainView(record) };
};

export const createDomainChallenge: H = (request, ctx) => ({
  status: 200,
  body: challengeFor(ctx, (request.body as { customDomain: string }).customDomain),
});

export const updateDomain: H = (request, ctx) => {
  const agent = agentOf(request);
  const domain = domainOf(agent, request.params.domainId);
  if (!domain) return ctx.error(404, "Domain not found");
  const body = request.body as { port?: number; protected?: boolean };
  const port = body.port === undefined ? undefined : portProblem(body.port);
  if (port) return ctx.error(400, `Validation failed: ${port}`);
  if (body.port !== undefined) domain.port = body.port;
  if (body.protected !== undefined) domain.protected = body.protected;
  return { status: 200, body: domainView(domain) };
};

export const deleteDomain: H = (request, ctx) => {
  const agent = agentOf(request);
  const domain = domainOf(agent, request.params.domainId);
  if (!domain) return ctx.error(404, "Domain not found");
  agent.domains = agent.domains.filter((d) => d !== domain);
  log(ctx, agent, "INFO", "routes", `domain ${domain.hostname} removed`);
  return OK;
};

/** Verifies a custom domain when its TXT record (published by the `setDnsTxt` admin action) matches. */
export const verifyDomain: H = (request, ctx) => {
  const agent = agentOf(request);
  const domain = domainOf(agent, request.params.domainId);
  if (!domain) return ctx.error(404, "Domain not found");
  if (!domain.verified && domain.customDomain) {
    const { name, value } = challengeFor(ctx, domain.customDomain);
    domain.verified = (ctx.state.dnsTxt[name] ?? []).includes(value);
    log(
      ctx,
      agent,
      domain.verified ? "INFO" : "WARN",
      "routes",
      domain.verified
        ? `${domain.hostname} verified; SSL provisioned`
        : `${domain.hostname}: TXT record ${name} not found`,
    );
  }
  return { status: 200, body: domainView(domain) };
};

// --- tasks ------------------------------------------------------------------------------------

export const taskView = (t: TaskRecord) => ({
  jobId: t.jobId,
  name: t.name,
  schedule: t.schedule,
  prompt: t.prompt,
  enabled: t.enabled,
  lastRunAt: isoOrNull(t.lastRunAt),
  nextRunAt: isoOrNull(t.nextRunAt),
});

export const runView = (r: RunRecord) => ({
  runId: r.runId,
  jobId: r.jobId,
  status: r.status,
  startedAt: iso(r.startedAt),
  finishedAt: isoOrNull(r.finishedAt),
  output: r.output,
});

/** The cron problem of a schedule, if any. */
function scheduleProblem(schedule: string): string | undefined {
  try {
    parseCron(schedule);
    return undefined;
  } catch (error) {
    return `Validation failed: invalid schedule "${schedule}": ${(error as Error).message}`;
  }
}

const taskOf = (agent: AgentRecord, id: unknown) => agent.tasks.find((t) => t.jobId === id);

export const listTasks: H = (request) => ({
  status: 200,
  body: { tasks: agentOf(request).tasks.map(taskView) },
});

export const createTask: H = (request, ctx) => {
  const agent = agentOf(request);
  const body = request.body as { name: string; schedule: string; prompt: string; enabled?: boolean };
  const problem = scheduleProblem(body.schedule);
  if (problem) return ctx.error(400, problem);
  const task: TaskRecord = {
    jobId: newId(ctx, "job"),
    name: body.name,
    schedule: body.schedule,
    prompt: body.prompt,
    enabled: body.enabled ?? true,
    lastRunAt: null,
    nextRunAt: null,
  };
  task.nextRunAt = nextRunOf(task, ctx.clock.now());
  agent.tasks.push(task);
  log(ctx, agent, "INFO", "cron", `task "${task.name}" scheduled (${task.schedule})`);
  return { status: 201, body: taskView(task) };
};

export const getTask: H = (request, ctx) => {
  const task = taskOf(agentOf(request), request.params.jobId);
  return task ? { status: 200, body: taskView(task) } : ctx.error(404, "Task not found");
};

export const updateTask: H = (request, ctx) => {
  const task = taskOf(agentOf(request), request.params.jobId);
  if (!task) return ctx.error(404, "Task not found");
  const body = request.body as Partial<Pick<TaskRecord, "name" | "schedule" | "prompt" | "enabled">>;
  const problem = body.schedule === undefined ? undefined : scheduleProblem(body.schedule);
  if (problem) return ctx.error(400, problem);
  if (body.name !== undefined) task.name = body.name;
  if (body.schedule !== undefined) task.schedule = body.schedule;
  if (body.prompt !== undefined) task.prompt = body.prompt;
  if (body.enabled !== undefined) task.enabled = body.enabled;
  task.nextRunAt = nextRunOf(task, ctx.clock.now());
  return { status: 200, body: taskView(task) };
};

export const deleteTask: H = (request, ctx) => {
  const agent = agentOf(request);
  const task = taskOf(agent, request.params.jobId);
  if (!task) return ctx.error(404, "Task not found");
  agent.tasks = agent.tasks.filter((t) => t !== task);
  delete agent.runs[task.jobId];
  return OK;
};

export const runTask: H = (request, ctx) => {
  const agent = agentOf(request);
  const task = taskOf(agent, request.params.jobId);
  if (!task) return ctx.error(404, "Task not found");
  return { status: 200, body: runView(startRun(ctx, agent, task, ctx.clock.now(), true)) };
};

export const toggleTask: H = (request, ctx) => {
  const task = taskOf(agentOf(request), request.params.jobId);
  if (!task) return ctx.error(404, "Task not found");
  const wanted = (request.body as { enabled?: boolean } | undefined)?.enabled;
  task.enabled = wanted ?? !task.enabled;
  task.nextRunAt = nextRunOf(task, ctx.clock.now());
  return { status: 200, body: taskView(task) };
};

export const listTaskRuns: H = (request, ctx) => {
  const agent = agentOf(request);
  const task = taskOf(agent, request.params.jobId);
  if (!task) return ctx.error(404, "Task not found");
  return { status: 200, body: { runs: (agent.runs[task.jobId] ?? []).map(runView) } };
};
