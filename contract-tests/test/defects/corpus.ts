/**
 * The planted-defect corpus: each defect is planted by a proxy (`proxy.ts`) in front of a real
 * sandbox (or is a toggle of the fixture server, `../defect-server.ts`), touches a few operations,
 * and names the check that must catch it and the operation it must be reported on.
 */
import type { CheckName } from "../../src/exchange/checks.js";
import type { TargetSession } from "../../src/exchange/session.js";
import type { PhaseCheck } from "../../src/run/suite.js";
import type { Defect } from "../defect-server.js";
import { json, type Plant, type ProxyRequest, type ProxyResponse, pathOf, withJson } from "./proxy.js";

export interface PlantedDefect {
  /** What is wrong, in a few words. */
  name: string;
  /** A provider with a sandbox, or `fixture` (the fixture server of `defects.yaml`). */
  provider: string;
  /** The check that must catch it, and the operation it must be reported on. */
  check: CheckName;
  operation: string;
  /** The operations run (the defect's and those its check needs, e.g. a link's read and delete). */
  operations: string[];
  /** The phase checks run; absent: the per-operation and stateful checks run instead. */
  phases?: PhaseCheck[];
  /** The planting proxy's rules (given the session, for its credentials). */
  plant?: (session: TargetSession) => Plant;
  /** The fixture server's toggle. */
  fixture?: Defect;
}

const bodyJson = (req: ProxyRequest): Record<string, unknown> => {
  try {
    return JSON.parse(req.body.toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
};

const answer = (status: number, value: unknown): ProxyResponse => ({
  status,
  headers: { "content-type": "application/json" },
  body: Buffer.from(JSON.stringify(value)),
});

const without = (res: ProxyResponse, header: string): ProxyResponse => {
  const { [header]: _dropped, ...headers } = res.headers;
  return { ...res, headers };
};

/** An update acknowledged with the resource as it was (read first), never applied. */
const ignoredUpdate =
  (method: string, path: RegExp, readPath: (p: string) => string = (p) => p): Plant["request"] =>
  async (req, upstream) => {
    if (req.method !== method || !path.test(pathOf(req))) return undefined;
    return upstream({ ...req, method: "GET", url: readPath(pathOf(req)), body: Buffer.alloc(0) });
  };

export const DEFECTS: PlantedDefect[] = [
  // PipedAI
  {
    name: "a trigger list page after the first leaves out its first item",
    provider: "pipedai",
    check: "pagination_consistency",
    operation: "GET /api/v1/environments/{envId}/triggers",
    operations: ["GET /api/v1/environments/{envId}/triggers"],
    phases: ["pagination_consistency"],
    plant: () => ({
      response: (req, res) => {
        if (!/\/triggers$/.test(pathOf(req)) || !req.url.includes("cursor=") || res.status !== 200)
          return undefined;
        const page = json(res) as { items: unknown[]; nextCursor: unknown };
        return withJson(res, { ...page, items: page.items.slice(1) });
      },
    }),
  },
  {
    name: "a trigger update is acknowledged with the old trigger and not applied",
    provider: "pipedai",
    check: "update_applied",
    operation: "PATCH /api/v1/triggers/{id}",
    operations: ["PATCH /api/v1/triggers/{id}"],
    phases: ["update_applied"],
    plant: () => ({ request: ignoredUpdate("PATCH", /^\/api\/v1\/triggers\/[^/]+$/) }),
  },
  {
    name: "/auth/me answers any caller as the session's user",
    provider: "pipedai",
    check: "ignored_auth",
    operation: "GET /api/v1/auth/me",
    operations: ["GET /api/v1/auth/me"],
    plant: (session) => ({
      request: (req) => {
        const cookie = `auth_token=${session.credential("authTokenCookie")}`;
        if (pathOf(req) !== "/api/v1/auth/me" || req.headers.cookie === cookie) return undefined;
        const { authorization: _a, ...headers } = req.headers;
        return { ...req, headers: { ...headers, cookie } };
      },
    }),
  },
  {
    name: "/auth/me gives the user's email as a number",
    provider: "pipedai",
    check: "response_schema_conformance",
    operation: "GET /api/v1/auth/me",
    operations: ["GET /api/v1/auth/me"],
    plant: () => ({
      response: (req, res) => {
        if (pathOf(req) !== "/api/v1/auth/me" || res.status !== 200) return undefined;
        const body = json(res) as { user: Record<string, unknown> };
        return withJson(res, { ...body, user: { ...body.user, email: 42 } });
      },
    }),
  },
  // Atelier
  {
    name: "a 429 without Retry-After",
    provider: "atelier",
    check: "response_headers_conformance",
    operation: "POST /agents/register",
    operations: ["POST /agents/register"],
    plant: () => ({
      response: (_req, res) => (res.status === 429 ? without(res, "retry-after") : undefined),
    }),
  },
  {
    name: "/agents/me answers 203",
    provider: "atelier",
    check: "status_code_conformance",
    operation: "GET /agents/me",
    operations: ["GET /agents/me"],
    plant: () => ({
      response: (req, res) =>
        req.method === "GET" && pathOf(req) === "/agents/me" && res.status === 200
          ? { ...res, status: 203 }
          : undefined,
    }),
  },
  {
    name: "the service list is always empty",
    provider: "atelier",
    check: "ensure_resource_availability",
    operation: "POST /agents/{agent_id}/services",
    operations: [
      "GET /agents/me",
      "POST /agents/{agent_id}/services",
      "GET /agents/{agent_id}/services",
      "DELETE /services/{service_id}",
      "PATCH /services/{service_id}",
    ],
    plant: () => ({
      response: (req, res) =>
        req.method === "GET" && /^\/agents\/[^/]+\/services$/.test(pathOf(req)) && res.status === 200
          ? withJson(res, { success: true, data: [] })
          : undefined,
    }),
  },
  // Pipe storage
  {
    name: "deleting an S3 key answers 204 and keeps the key",
    provider: "pipe-storage",
    check: "use_after_free",
    operation: "POST /api/s3/keys",
    operations: ["POST /api/s3/keys", "GET /api/s3/keys", "DELETE /api/s3/keys/{access_key_id}"],
    plant: () => ({
      request: (req) =>
        req.method === "DELETE" && pathOf(req).startsWith("/api/s3/keys/")
          ? { status: 204, headers: {}, body: Buffer.alloc(0) }
          : undefined,
    }),
  },
  {
    name: "the S3 info is labelled text/plain",
    provider: "pipe-storage",
    check: "content_type_conformance",
    operation: "GET /api/s3/info",
    operations: ["GET /api/s3/info"],
    plant: () => ({
      response: (req, res) =>
        pathOf(req) === "/api/s3/info" && res.status === 200
          ? { ...res, headers: { ...res.headers, "content-type": "text/plain" } }
          : undefined,
    }),
  },
  {
    name: "the x402 402 without its Payment-Required header",
    provider: "pipe-storage",
    check: "response_headers_conformance",
    operation: "POST /api/credits/x402",
    operations: ["POST /api/credits/x402"],
    plant: () => ({
      response: (_req, res) => (res.status === 402 ? without(res, "payment-required") : undefined),
    }),
  },
  {
    name: "a bucket update is acknowledged with the old settings and not applied",
    provider: "pipe-storage",
    check: "update_applied",
    operation: "PATCH /api/s3/bucket",
    operations: ["PATCH /api/s3/bucket"],
    phases: ["update_applied"],
    plant: () => ({ request: ignoredUpdate("PATCH", /^\/api\/s3\/bucket$/) }),
  },
  // PipeAgent
  {
    name: "an invalid feed is answered with the last feed created",
    provider: "pipeagent",
    check: "negative_data_rejection",
    operation: "POST /api/v1/provider/feed/create",
    operations: ["POST /api/v1/provider/feed/create"],
    plant: () => {
      let accepted: ProxyResponse | undefined;
      return {
        response: (req, res) => {
          if (pathOf(req) !== "/api/v1/provider/feed/create") return undefined;
          if (res.status < 300) accepted = res;
          return res.status === 400 && accepted ? accepted : undefined;
        },
      };
    },
  },
  {
    name: "an unlisted method is answered 404, not 405",
    provider: "pipeagent",
    check: "unsupported_method",
    operation: "GET /v1/catalog",
    operations: ["GET /v1/catalog", "GET /v1/search"],
    phases: ["unsupported_method"],
    plant: () => ({
      response: (_req, res) => (res.status === 405 ? answer(404, { error: "Not found" }) : undefined),
    }),
  },
  {
    name: "a feed edit answers 200 and changes nothing",
    provider: "pipeagent",
    check: "update_applied",
    operation: "PATCH /api/v1/provider/feed/{feed_id}/edit",
    operations: ["PATCH /api/v1/provider/feed/{feed_id}/edit"],
    phases: ["update_applied"],
    plant: () => ({
      request: (req) =>
        req.method === "PATCH" && pathOf(req).endsWith("/edit") ? answer(200, {}) : undefined,
    }),
  },
  // Pinata Agents
  {
    name: "creating a secret with a long name is a 500",
    provider: "pinata-agents",
    check: "not_a_server_error",
    operation: "POST /v0/secrets",
    operations: ["POST /v0/secrets"],
    plant: () => ({
      request: (req) =>
        req.method === "POST" && pathOf(req) === "/v0/secrets" && String(bodyJson(req).name ?? "").length > 6
          ? answer(500, { error: "internal error" })
          : undefined,
    }),
  },
  {
    name: "a valid secret whose value is over 8 characters is rejected with 400",
    provider: "pinata-agents",
    check: "positive_data_acceptance",
    operation: "POST /v0/secrets",
    operations: ["POST /v0/secrets"],
    plant: () => ({
      request: (req) =>
        req.method === "POST" && pathOf(req) === "/v0/secrets" && String(bodyJson(req).value ?? "").length > 8
          ? answer(400, { error: "value too long" })
          : undefined,
    }),
  },
  {
    name: "a 405 without an Allow header",
    provider: "pinata-agents",
    check: "unsupported_method",
    operation: "GET /v0/secrets",
    operations: ["GET /v0/secrets", "POST /v0/secrets"],
    phases: ["unsupported_method"],
    plant: () => ({ response: (_req, res) => (res.status === 405 ? without(res, "allow") : undefined) }),
  },
  {
    name: "each ClawHub page after the first repeats the previous page's last skill",
    provider: "pinata-agents",
    check: "pagination_consistency",
    operation: "GET /v0/clawhub",
    operations: ["GET /v0/clawhub"],
    phases: ["pagination_consistency"],
    plant: () => {
      let last: unknown;
      return {
        response: (req, res) => {
          if (pathOf(req) !== "/v0/clawhub" || res.status !== 200) return undefined;
          const page = json(res) as { skills: unknown[]; nextCursor: unknown };
          const repeated = req.url.includes("cursor=") && last !== undefined;
          const skills = repeated ? [last, ...page.skills.slice(0, -1)] : page.skills;
          last = page.skills.at(-1);
          return repeated ? withJson(res, { ...page, skills }) : undefined;
        },
      };
    },
  },
  // The fixture server: no provider spec has a required header parameter.
  {
    name: "GET /items takes a request without its required X-Request-Id",
    provider: "fixture",
    check: "missing_required_header",
    operation: "GET /items",
    operations: ["GET /items"],
    fixture: "missing-header-check",
  },
];
