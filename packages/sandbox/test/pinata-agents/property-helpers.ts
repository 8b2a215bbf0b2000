/**
 * What the random invalid requests for every Pinata Agents operation are made of: the sandbox
 * (`useSandbox`), raw requests with any Host header, a fixture of ids to name, valid bodies to
 * mutate, junk ids and query parameters, random credentials in every transport, and the spec's
 * operations.
 */
import { request as httpRequest } from "node:http";
import { fc } from "@fast-check/vitest";
import { loadSpec, type OpenApiDocument, responseValidator } from "@specyard/testkit";
import { afterAll, beforeAll, expect } from "vitest";
import { runSandbox, type Sandbox } from "../../src/framework/server.js";
import { type PinataState, pinataAgents } from "../../src/providers/pinata-agents/index.js";

export const spec = loadSpec("pinata-agents");

export const conforms = responseValidator("pinata-agents");

const STARTER = "https://git.example.com/pinata-sandbox/starter-agent";

export let sandbox: Sandbox<PinataState>;

let jwt: string;

/** The ids requests may name; the fixture agent is made again if a request deleted it. */
interface Fixture {
  agentId: string;
  otherAgentId: string;
  secretId: string;
  skillId: string;
  skillCid: string;
  jobId: string;
  domainId: string;
  requestId: string;
  templateId: string;
  snapshotCid: string;
}

export let fx: Fixture;

interface Answer {
  status: number;
  type: string;
  text: string;
}

/** One raw request with any Host header (global fetch cannot set it). */
export function send(
  method: string,
  host: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Answer> {
  const target = new URL(sandbox.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, method, path, headers: { ...headers, host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers["content-type"] ?? ""),
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function api<T>(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<T> {
  const answer = await send(
    method,
    new URL(sandbox.url).host,
    path,
    { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  );
  expect(answer.status, `${method} ${path}: ${answer.text}`).toBeLessThan(300);
  return JSON.parse(answer.text) as T;
}

/** Makes the fixture (again: what earlier requests deleted or rotated is back). */
export async function refreshFixture(): Promise<void> {
  fx = await makeFixture();
}

export const tokenOf = (agentId: string) => sandbox.admin.state().agents[agentId]?.gatewayToken ?? "gwt_gone";

async function makeFixture(): Promise<Fixture> {
  const auth = { authorization: `Bearer ${jwt}` };
  type Created = { agent: { agentId: string } };
  const { agent } = await api<Created>("POST", "/v0/agents", auth, { name: "Property agent" });
  const { agent: other } = await api<Created>("POST", "/v0/agents", auth, { name: "Other agent" });
  const a = `/v0/agents/${agent.agentId}`;
  const secret = await api<{ id: string }>("POST", "/v0/secrets", auth, {
    name: `PROP_${agent.agentId}`,
    value: "v",
  });
  const skill = await api<{ skillId: string; cid: string }>("POST", "/v0/skills", auth, {
    name: "Prop skill",
    cid: `bafy${agent.agentId}`,
  });
  await api("POST", `${a}/secrets`, auth, { secretIds: [secret.id] });
  await api("POST", `${a}/skills`, auth, { skillCids: [skill.cid] });
  await api("POST", `${a}/channels/telegram`, auth, { botToken: "1:a" });
  const task = await api<{ jobId: string }>("POST", `${a}/tasks`, auth, {
    name: "t",
    schedule: "0 0 1 1 *",
    prompt: "p",
  });
  const domain = await api<{ domainId: string }>("POST", `${a}/domains`, auth, {
    subdomain: `p-${agent.agentId}`,
    port: 3000,
  });
  const device = (await sandbox.admin.act("requestDevicePairing", { agentId: agent.agentId })) as {
    requestId: string;
  };
  const template = await api<{ template: { templateId: string } }>("POST", "/v0/templates", auth, {
    repoUrl: STARTER,
  });
  const snapshot = await api<{ cid: string }>("POST", `${a}/snapshots/sync`, auth);
  return {
    agentId: agent.agentId,
    otherAgentId: other.agentId,
    secretId: secret.id,
    skillId: skill.skillId,
    skillCid: skill.cid,
    jobId: task.jobId,
    domainId: domain.domainId,
    requestId: device.requestId,
    templateId: template.template.templateId,
    snapshotCid: snapshot.cid,
  };
}

type Json = unknown;

/** A valid body per operation that takes one, to be mutated. */
const VALID: Record<string, () => Json> = {
  createAgent: () => ({
    name: "P",
    description: "d",
    emoji: "🤖",
    engine: "openclaw",
    skillCids: ["@pinata/api"],
    secretIds: [fx.secretId],
    channels: { telegram: { botToken: "1:a", dmPolicy: "pairing" }, slack: { botToken: "b", appToken: "a" } },
  }),
  applyAgentUpdate: () => ({ version: "2026.5.2" }),
  createSecret: () => ({ name: "PROP_SECRET", value: "v" }),
  updateSecret: () => ({ value: "v2" }),
  attachAgentSecrets: () => ({ secretIds: [fx.secretId] }),
  createSkill: () => ({ name: "S", cid: "bafyprop", description: "d" }),
  publishSkillVersion: () => ({ cid: "bafyv", version: "9.9.9" }),
  attachAgentSkills: () => ({ skillCids: ["@pinata/api", fx.skillCid] }),
  configureAgentChannel: () => ({ botToken: "x", appToken: "y", dmPolicy: "pairing", allowFrom: ["u"] }),
  replacePortForwarding: () => ({ routes: [{ port: 5173, path: "/app", protected: true }] }),
  registerDomain: () => ({ subdomain: "prop", port: 3000, protected: false }),
  createDomainChallenge: () => ({ customDomain: "app.example.com" }),
  updateDomain: () => ({ port: 4000, protected: true }),
  createTask: () => ({ name: "t", schedule: "*/5 * * * *", prompt: "p", enabled: true }),
  updateTask: () => ({ name: "t2", schedule: "@daily", prompt: "p2", enabled: false }),
  toggleTask: () => ({ enabled: true }),
  uploadFile: () => ({ filename: "p.txt", contentBase64: "aGk=" }),
  resetToSnapshot: () => ({ snapshotCid: fx.snapshotCid }),
  execCommand: () => ({ command: "ls workspace", cwd: "/home/node/clawd" }),
  updateRuntimeConfig: () => ({ config: '{"gateway":{"port":18789}}' }),
  validateRuntimeConfig: () => ({ config: '{"gateway":{"port":"x"}}' }),
  createTemplate: () => ({ repoUrl: STARTER, branch: "main" }),
  updateTemplate: () => ({ repoUrl: STARTER, branch: "dev" }),
  validateTemplate: () => ({ repoUrl: STARTER }),
  listTemplateBranches: () => ({ repoUrl: STARTER }),
  listTemplateRefs: () => ({ repoUrl: STARTER }),
};

const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1, 99999, 1e308, -0.5, "", "x".repeat(300), null, [], {}, true, "__proto__"),
);

/** A mutation of a valid body: drop a field, retype one, add junk, junk inside, or replace it. */
const mutatedBody = (valid: Json) =>
  fc.oneof(
    fc.constant(valid),
    fc.nat().map((n) => {
      const copy = { ...(valid as Record<string, unknown>) };
      const names = Object.keys(copy);
      delete copy[names[n % names.length] as string];
      return copy;
    }),
    fc.tuple(fc.nat(), junkValue).map(([n, value]) => {
      const copy = { ...(valid as Record<string, unknown>) };
      const names = Object.keys(copy);
      copy[names[n % names.length] as string] = value;
      return copy;
    }),
    fc
      .tuple(
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "agentId")),
        junkValue,
      )
      .map(([key, value]) => ({ ...(valid as object), [key]: value })),
    fc.tuple(fc.nat(), junkValue).map(([n, value]) => {
      const copy = structuredClone(valid) as Record<string, unknown>;
      for (const item of Object.values(copy)) {
        if (Array.isArray(item) && item.length) item[n % item.length] = value;
        else if (item && typeof item === "object") (item as Record<string, unknown>)[String(n % 3)] = value;
      }
      return copy;
    }),
    junkValue,
  );

interface RawBody {
  bytes?: Buffer;
  type?: string;
}

const gitBody = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc
    .constantFrom(
      "0000",
      "0032want 0000000000000000000000000000000000000000\n0000",
      "0014command=ls-refs\n0000",
      "00000009done\n",
    )
    .map((text) => Buffer.from(text)),
);

export function bodyFor(operationId: string, mediaTypes: string[]): fc.Arbitrary<RawBody> {
  if (!mediaTypes.length) return fc.constant({});
  const valid = VALID[operationId];
  if (!valid) {
    // Git: protocol bytes, junk, wrong media types, or nothing.
    return fc.oneof(
      gitBody.map((bytes) => ({ bytes, type: mediaTypes[0] })),
      gitBody.map((bytes) => ({ bytes, type: "application/octet-stream" })),
      fc.constant<RawBody>({ type: mediaTypes[0] }),
    );
  }
  const json = (text: string): RawBody => ({ bytes: Buffer.from(text), type: "application/json" });
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBody(valid()).map((value) => json(JSON.stringify(value))) },
    { weight: 1, arbitrary: fc.string().map(json) },
    {
      weight: 1,
      arbitrary: fc.constant<RawBody>({ bytes: Buffer.from(JSON.stringify(valid())), type: "text/plain" }),
    },
    { weight: 1, arbitrary: fc.constant<RawBody>({}) },
  );
}

const STATIC_SEGMENTS = new Set([
  "engines",
  "validate",
  "branches",
  "refs",
  "id",
  "updates",
  "approve-all",
  "challenge",
  "sync",
  "reset",
  "upload",
]);

const junkId = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_~-]{1,24}$/).filter((s) => !STATIC_SEGMENTS.has(s)),
  fc.constantFrom("__proto__", "toString", "constructor", "%E2%9C%93", "a%20b"),
);

/** Values for each path parameter: the fixture's real ids, sometimes, else junk. */
export function paramValue(name: string): fc.Arbitrary<string> {
  const real: Record<string, () => string[]> = {
    agentId: () => [fx.agentId, fx.agentId, fx.otherAgentId],
    id: () => [fx.secretId],
    secretId: () => [fx.secretId],
    skillId: () => [fx.skillId, "hub_001"],
    skillCid: () => [fx.skillCid],
    slug: () => ["web-search"],
    hubSkillId: () => ["hub_002"],
    channel: () => ["telegram", "slack", "discord", "whatsapp"],
    domainId: () => [fx.domainId],
    jobId: () => [fx.jobId],
    requestId: () => [fx.requestId],
    templateId: () => [fx.templateId],
    slugOrId: () => [fx.templateId],
  };
  const known = real[name];
  return known
    ? fc.oneof(
        {
          weight: 3,
          arbitrary: fc.nat().map((n) => encodeURIComponent(known()[n % known().length] as string)),
        },
        { weight: 1, arbitrary: junkId },
      )
    : junkId;
}

const queryValue = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer({ min: -5, max: 200 }).map(String),
  fc.constantFrom("true", "false", "%zz", ""),
);

const junkQuery = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom("path", "service", "category", "sort", "featured", "cursor", "token"),
      fc.string({ maxLength: 8 }),
    ),
    queryValue,
  ),
  { maxLength: 3 },
);

/** Plausible values of the declared query parameters, so that requests also get past validation. */
const DECLARED: Record<string, string[]> = {
  path: [
    "workspace/IDENTITY.md",
    "workspace/SOUL.md",
    "/home/node/.openclaw/openclaw.json",
    "workspace",
    "../../etc/passwd",
  ],
  service: ["git-upload-pack", "git-receive-pack"],
  category: ["research", "finance"],
  sort: ["popular", "newest", "name"],
  featured: ["true", "false"],
  cursor: [Buffer.from("o:10").toString("base64url")],
};

export function queryFor(declared: string[]): fc.Arbitrary<Array<[string, string]>> {
  if (!declared.length) return junkQuery;
  const plausible = fc.tuple(
    ...declared.map((name) =>
      fc.option(fc.constantFrom(...(DECLARED[name] ?? ["x"])).map((v) => [name, v] as [string, string])),
    ),
  );
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(plausible, junkQuery)
        .map(([picked, junk]) => [...picked.filter((p) => p !== null), ...junk]),
    },
    { weight: 1, arbitrary: junkQuery },
  );
}

/** Who calls, by label (credentials stay out of counterexamples). */
const CALLERS = [
  "jwt",
  "gateway bearer",
  "gateway query",
  "gateway cookie",
  "git basic",
  "other agent's token",
  "platform jwt",
  "wrong token",
  "junk authorization",
  "nobody",
] as const;

type Host = "management" | "own agent host" | "other agent host";

export const host = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Host>("management") },
  { weight: 2, arbitrary: fc.constant<Host>("own agent host") },
  { weight: 1, arbitrary: fc.constant<Host>("other agent host") },
);

/** Mostly the credential the operation takes, sometimes any. */
export function callerFor(security: string[]): fc.Arbitrary<(typeof CALLERS)[number]> {
  const fitting: Array<(typeof CALLERS)[number]> = security.includes("gitBasic")
    ? ["git basic"]
    : security.includes("gatewayToken")
      ? [
          ...(security.includes("bearerAuth") ? (["jwt"] as const) : []),
          "gateway bearer",
          "gateway query",
          "gateway cookie",
        ]
      : security.includes("bearerAuth")
        ? ["jwt", "jwt", "platform jwt"]
        : ["nobody"];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...fitting) },
    { weight: 1, arbitrary: fc.constantFrom(...CALLERS) },
  );
}

export async function credentials(
  label: (typeof CALLERS)[number],
  junk: string,
): Promise<{ headers: Record<string, string>; query: string }> {
  const token = tokenOf(fx.agentId);
  switch (label) {
    case "jwt":
      return { headers: { authorization: `Bearer ${jwt}` }, query: "" };
    case "gateway bearer":
      return { headers: { authorization: `Bearer ${token}` }, query: "" };
    case "gateway query":
      return { headers: {}, query: `token=${encodeURIComponent(token)}` };
    case "gateway cookie":
      return { headers: { cookie: `gw_token=${encodeURIComponent(token)}` }, query: "" };
    case "git basic":
      return {
        headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString("base64")}` },
        query: "",
      };
    case "other agent's token":
      return { headers: { authorization: `Bearer ${tokenOf(fx.otherAgentId)}` }, query: "" };
    case "platform jwt": {
      const issued = await send("POST", new URL(sandbox.url).host, "/v0/platform/token", {
        authorization: `Bearer ${token}`,
      });
      const platform = issued.status === 200 ? (JSON.parse(issued.text) as { token: string }).token : "x.y.z";
      return { headers: { authorization: `Bearer ${platform}` }, query: "" };
    }
    case "wrong token":
      return {
        headers: { authorization: "Bearer gwt_wrong", cookie: "gw_token=gwt_wrong" },
        query: "token=gwt_wrong",
      };
    case "junk authorization":
      return { headers: { authorization: junk }, query: "" };
    default:
      return { headers: {}, query: "" };
  }
}

interface Op {
  operationId: string;
  method: string;
  path: string;
  statuses: string[];
  mediaTypes: string[];
  query: string[];
  security: string[];
}

export const OPERATIONS: Op[] = Object.entries(
  spec.paths as Record<string, Record<string, OpenApiDocument>>,
).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => ["get", "post", "put", "delete", "patch"].includes(method))
    .map(([method, op]) => ({
      operationId: String(op.operationId),
      method: method.toUpperCase(),
      path,
      statuses: Object.keys(op.responses as object),
      mediaTypes: Object.keys(op.requestBody?.content ?? {}),
      query: ((op.parameters ?? []) as Array<{ in?: string; name?: string }>)
        .filter((p) => p.in === "query")
        .map((p) => String(p.name)),
      security: ((op.security ?? spec.security ?? []) as Array<Record<string, unknown>>).flatMap((r) =>
        Object.keys(r),
      ),
    })),
);

/** Starts the file's sandbox before its tests and closes it after them (call once per test file). */
export function useSandbox(): void {
  beforeAll(async () => {
    sandbox = await runSandbox(pinataAgents, { seed: "pinata-property" });
    jwt = ((await sandbox.admin.act("jwt")) as { jwt: string }).jwt;
    await sandbox.admin.act("setAgentLimit", { agentLimit: 1_000_000 });
  });

  afterAll(() => sandbox?.close());
}
