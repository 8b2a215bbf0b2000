/**
 * Resource links per provider: which operation creates a resource, where its id is in the answer,
 * and which operations read and delete it. The specs declare no OpenAPI `links` yet; this table
 * stands in for them (each entry is what a `links` object on the create response would say).
 */

/** How a created resource is found again. */
export type Reader =
  /** A read by id: 2xx while the resource exists, 404 or 410 once it is deleted. */
  | { operation: string; param: string }
  /** A list that holds the resource: `list` points at the array, `key` names the id field of its items. */
  | { operation: string; list: string; key: string };

/** A call made before the chain for path parameters of the chain's operations (e.g. a parent id). */
export interface SetupStep {
  operation: string;
  /** Variable name → JSON pointer into the answer's body. */
  pick: Record<string, string>;
}

export interface ResourceLink {
  /** Short name, for messages. */
  resource: string;
  /** The create operation (`POST /path`). */
  create: string;
  /** JSON pointer to the new resource's id in the create answer's body. */
  id: string;
  read: Reader;
  /** How `use_after_free` looks for a deleted resource, when not with `read` (e.g. an update by id). */
  readAfterDelete?: Reader;
  /** The delete operation and the path parameter that takes the id, if the resource can be deleted. */
  delete?: { operation: string; param: string };
  setup?: SetupStep[];
  /**
   * Top-level body fields the sandbox needs that a schema cannot say (a cron syntax, a real worker id):
   * `omit` leaves generated ones out, `set` fixes values.
   */
  body?: { omit?: string[]; set?: Record<string, unknown> };
}

const PIPEDAI_ENVIRONMENT: SetupStep[] = [
  { operation: "GET /api/v1/workspaces", pick: { wsId: "/items/0/id" } },
  { operation: "GET /api/v1/workspaces/{wsId}/environments", pick: { envId: "/items/0/id" } },
];

export const RESOURCE_LINKS: Record<string, ResourceLink[]> = {
  "pipe-storage": [
    {
      resource: "S3 key",
      create: "POST /api/s3/keys",
      id: "/access_key_id",
      read: { operation: "GET /api/s3/keys", list: "/keys", key: "access_key_id" },
      delete: { operation: "DELETE /api/s3/keys/{access_key_id}", param: "access_key_id" },
    },
  ],
  pipeagent: [
    {
      resource: "feed",
      create: "POST /api/v1/provider/feed/create",
      id: "/id",
      read: { operation: "GET /v1/feed/{id}/metadata", param: "id" },
      // Prices must agree with price_type (x-conditional-rules); an `id` would update an existing feed.
      body: { omit: ["id", "price_per_1k", "one_time_price_cents"], set: { price_type: "free" } },
    },
  ],
  pipedai: [
    {
      resource: "workspace",
      create: "POST /api/v1/workspaces",
      id: "/id",
      read: { operation: "GET /api/v1/workspaces", list: "/items", key: "id" },
    },
    {
      resource: "trigger",
      create: "POST /api/v1/environments/{envId}/triggers",
      id: "/trigger/id",
      read: { operation: "GET /api/v1/triggers/{id}", param: "id" },
      delete: { operation: "DELETE /api/v1/triggers/{id}", param: "id" },
      setup: PIPEDAI_ENVIRONMENT,
      body: { omit: ["workerId", "schedule"] },
    },
    {
      resource: "API key",
      create: "POST /api/v1/environments/{envId}/api-keys",
      id: "/apiKey/id",
      read: { operation: "GET /api/v1/environments/{envId}/api-keys", list: "/items", key: "id" },
      delete: { operation: "DELETE /api/v1/environments/{envId}/api-keys/{keyId}", param: "keyId" },
      setup: PIPEDAI_ENVIRONMENT,
    },
  ],
  atelier: [
    {
      resource: "service",
      create: "POST /agents/{agent_id}/services",
      id: "/data/id",
      read: { operation: "GET /agents/{agent_id}/services", list: "/data", key: "id" },
      delete: { operation: "DELETE /services/{service_id}", param: "service_id" },
      readAfterDelete: { operation: "PATCH /services/{service_id}", param: "service_id" },
      setup: [{ operation: "GET /agents/me", pick: { agent_id: "/data/id" } }],
    },
  ],
};

/** The value at a JSON pointer (RFC 6901), or undefined. */
export function pointer(value: unknown, path: string): unknown {
  if (path === "") return value;
  return path
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>(
      (at, part) => (at && typeof at === "object" ? (at as Record<string, unknown>)[part] : undefined),
      value,
    );
}
