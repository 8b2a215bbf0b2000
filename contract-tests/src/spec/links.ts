/**
 * Resource links, read from the specs. Standard OpenAPI `links` on a 2xx response of a create
 * operation (POST or PUT) name the operations that read and delete the new resource, and fill their
 * parameters from the answer (`$response.body#/…`, the new id) or the request (`$request.path.…`).
 * A GET link is the read, a DELETE link the delete; other links are not followed. What `links`
 * cannot say is in five extensions (links to other operations — an edit, a push — are not followed
 * by the chains; the world (`src/run/world.ts`) fills those operations' parameters from them):
 *
 * - `x-specyard-listed: { array, key, value }` on a link: a list read — the answer's array at the
 *   JSON pointer `array` holds an item whose field `key` equals `value` (the new id);
 * - `x-specyard-after-delete: true` on a link: called after the delete instead of the read, to see
 *   the resource gone (e.g. an update by id);
 * - `x-specyard-use: true` on a link: neither the read nor the delete (a GET or DELETE of a related
 *   thing, such as detaching the resource from another): only names what the resource fills;
 * - `x-specyard-setup: [{ operationId, pick: { name: "$response.body#/…" } }]` on the operation:
 *   calls made first, each picked value filling the same-named path parameters of the later calls
 *   (a parent id);
 * - `x-specyard-body: { omit: [field…], set: { field: value } }` on the operation: top-level body
 *   fields the sandbox needs that a schema cannot say (a cron syntax, a real worker id); a `set`
 *   value `$known.<name>` (alone or as the items of a list) is sent as the value the run's world
 *   knows by that name (a created resource's id, see `src/run/world.ts`).
 *
 * The links of one create must agree on one `$response.body#/…` pointer: the new resource's id.
 */
import { type ApiSpec, type Operation, type Schema, SpecError } from "./openapi.js";
import { type Expression, expression } from "./pointer.js";

/** A call of the chain: an operation and where its path parameters come from. */
export interface LinkedCall {
  /** `GET /path/{id}`. */
  operation: string;
  /** Path parameter → its value, evaluated against the create request and its answer. */
  parameters: Record<string, Expression>;
}

/** How a created resource is found again: by id (2xx while it exists, 404 or 410 once deleted), or in a list. */
export interface Reader extends LinkedCall {
  /** A list read: the array at the pointer `array` holds an item whose field `key` is the id. */
  listed?: { array: string; key: string };
}

/** A call made before the chain for path parameters of the chain's operations (e.g. a parent id). */
export interface SetupStep {
  operation: string;
  /** Variable name → JSON pointer into the answer's body. */
  pick: Record<string, string>;
}

export interface ResourceLink {
  /** Short name, for messages (from the create's operationId: `createApiKey` → `api key`). */
  resource: string;
  /** The create operation (`POST /path`). */
  create: string;
  /** JSON pointer to the new resource's id in the create answer's body. */
  id: string;
  read: Reader;
  /** How `use_after_free` looks for a deleted resource, when not with `read` (e.g. an update by id). */
  readAfterDelete?: Reader;
  /** The delete operation, if the resource can be deleted. */
  delete?: LinkedCall;
  setup?: SetupStep[];
  /** Top-level body fields: `omit` leaves generated ones out, `set` fixes values. */
  body?: BodyAdjustments;
  /**
   * The create's other links (to operations that are neither its read nor its delete, e.g. an
   * edit or a push): not followed by the stateful checks; they tell which parameters of those
   * operations a created resource fills (see `src/run/world.ts`).
   */
  uses: LinkedCall[];
}

/** `x-specyard-body` of an operation. */
export interface BodyAdjustments {
  omit?: string[];
  set?: Record<string, unknown>;
}

/** The `x-specyard-body` of an operation, if any. */
export const bodyAdjustments = (op: Operation): BodyAdjustments | undefined =>
  op.extensions["x-specyard-body"] as BodyAdjustments | undefined;

/** The followed roles of a link. */
type Role = "read" | "delete" | "readAfterDelete";

const CREATES = ["POST", "PUT"];

/** The resource links of a spec, in the order of their create operations. A link the suite cannot follow is a `SpecError`. */
export function resourceLinks(spec: ApiSpec): ResourceLink[] {
  const out: ResourceLink[] = [];
  for (const op of spec.operations) {
    if (!CREATES.includes(op.method)) continue;
    const links = Object.entries(op.responses)
      .filter(([status]) => status.startsWith("2"))
      .flatMap(([, response]) => Object.entries(response.links));
    const link = links.length ? linkOf(spec, op, links) : undefined;
    if (link) out.push(link);
  }
  return out;
}

function linkOf(spec: ApiSpec, op: Operation, links: [string, Schema][]): ResourceLink | undefined {
  const mistake = (message: string) => new SpecError(`${spec.provider} ${op.id}: ${message}`);
  const roles: Partial<Record<Role, Reader>> = {};
  const uses: LinkedCall[] = [];
  const ids = new Set<string>();
  for (const [name, link] of links) {
    const target = byOperationId(spec, link.operationId);
    if (!target) throw mistake(`link ${name}: no operation has operationId ${link.operationId}`);
    const role: Role | undefined =
      link["x-specyard-use"] === true
        ? undefined
        : link["x-specyard-after-delete"] === true
          ? "readAfterDelete"
          : ({ GET: "read", DELETE: "delete" } as const)[target.method];
    if (role && roles[role]) throw mistake(`more than one ${role} link`);
    const parameters: Record<string, Expression> = {};
    for (const [key, value] of Object.entries<unknown>(link.parameters ?? {})) {
      const e = expression(value);
      const param = key.replace(/^path\./, "");
      if (!e) throw mistake(`link ${name}: the suite cannot evaluate ${String(value)}`);
      if (!target.parameters.some((p) => p.in === "path" && p.name === param))
        throw mistake(`link ${name}: ${key} is not a path parameter of ${target.id}`);
      if (e.from === "response.body" && role) ids.add(e.pointer);
      parameters[param] = e;
    }
    if (!role) {
      uses.push({ operation: target.id, parameters });
      continue;
    }
    const reader: Reader = { operation: target.id, parameters };
    const listed = link["x-specyard-listed"] as Schema | undefined;
    if (listed) {
      const value = expression(listed.value);
      if (
        value?.from !== "response.body" ||
        typeof listed.array !== "string" ||
        typeof listed.key !== "string"
      )
        throw mistake(`link ${name}: x-specyard-listed needs array, key and a $response.body#/… value`);
      ids.add(value.pointer);
      reader.listed = { array: listed.array, key: listed.key };
    }
    roles[role] = reader;
  }
  const { read, delete: deleted, readAfterDelete } = roles;
  if (!read) {
    if (deleted || readAfterDelete) throw mistake("a delete link without a read (GET) link");
    return undefined;
  }
  if (ids.size !== 1)
    throw mistake(`the links must agree on one $response.body#/… id, found ${[...ids].join(", ") || "none"}`);
  const setup = setupOf(spec, op, mistake);
  const body = bodyAdjustments(op);
  return {
    resource: resourceName(op.operationId),
    create: op.id,
    id: [...ids][0] as string,
    read,
    ...(readAfterDelete ? { readAfterDelete } : {}),
    ...(deleted ? { delete: { operation: deleted.operation, parameters: deleted.parameters } } : {}),
    ...(setup ? { setup } : {}),
    ...(body ? { body } : {}),
    uses,
  };
}

export const byOperationId = (spec: ApiSpec, operationId: unknown): Operation | undefined =>
  operationId === undefined ? undefined : spec.operations.find((o) => o.operationId === operationId);

/** The `x-specyard-setup` calls of any operation (a `SpecError` when they do not resolve). */
export function setupOf(
  spec: ApiSpec,
  op: Operation,
  mistake: (message: string) => SpecError = (message) =>
    new SpecError(`${spec.provider} ${op.id}: ${message}`),
): SetupStep[] | undefined {
  const steps = op.extensions["x-specyard-setup"];
  if (steps === undefined) return undefined;
  if (!Array.isArray(steps)) throw mistake("x-specyard-setup must be a list of calls");
  return steps.map((step: Schema) => {
    const target = byOperationId(spec, step.operationId);
    if (!target) throw mistake(`x-specyard-setup: no operation has operationId ${step.operationId}`);
    const pick: Record<string, string> = {};
    for (const [name, value] of Object.entries<unknown>(step.pick ?? {})) {
      const e = expression(value);
      if (e?.from !== "response.body")
        throw mistake(`x-specyard-setup: pick ${name} is no $response.body#/…`);
      pick[name] = e.pointer;
    }
    return { operation: target.id, pick };
  });
}

/** `createApiKey` → `api key`, `createS3Key` → `S3 key`; words in capitals or with digits stay. */
export function resourceName(operationId: string | undefined): string {
  const words = (operationId ?? "").split(/(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
  if (/^(create|add|register|new|put|post)$/i.test(words[0] ?? "")) words.shift();
  const name = words.map((w) => (/^[A-Z][a-z]+$/.test(w) ? w.toLowerCase() : w)).join(" ");
  return name || "resource";
}
