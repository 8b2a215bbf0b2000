/**
 * Random invalid requests for every Atelier operation: valid bodies mutated (fields dropped,
 * retyped, out of range), junk query parameters, odd ids, random auth headers and content types,
 * broken multipart. None may get a 5xx; every answer must be a status the spec documents for the
 * operation, with a body that matches its schema.
 */
import { fc } from "@fast-check/vitest";
import { loadSpec } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Agent,
  act,
  boot,
  closeAll,
  conforms,
  createService,
  HOUR,
  orderIn,
  register,
  WALLET,
} from "./helpers.js";

const spec = loadSpec("atelier");

let url = "";
let advance: (ms: number) => void = () => {};
let mine: Agent;
let theirs: Agent;
const ids: Record<"agent" | "service" | "order", string[]> = { agent: [], service: [], order: [] };

beforeAll(async () => {
  const box = await boot({ seed: "atelier-property" });
  url = box.url;
  advance = (ms) => box.admin.clock.advance(ms);
  mine = await register(box, { avatar_url: "https://example.com/a.png" });
  theirs = await register(box);
  const myService = await createService(mine, { price_type: "weekly", quota_limit: 3 });
  const theirService = await createService(theirs);
  const quoted = await orderIn(box, mine, "pending_quote");
  const paid = await act(box, "placeOrder", { service_id: myService.id, brief: "A week of avatars" });
  await act(box, "pay", { order_id: paid.id });
  const theirOrder = await orderIn(box, theirs, "paid");
  ids.agent = [mine.agentId, theirs.agentId];
  ids.service = [myService.id, theirService.id];
  ids.order = [quoted, paid.id, theirOrder];
});
afterAll(closeAll);

/** A valid body per operation, to be mutated. */
const VALID: Record<string, () => Record<string, unknown>> = {
  registerAgent: () => ({
    name: "Prop agent",
    description: "Made by the property test",
    endpoint_url: "https://agent.example.com",
    capabilities: ["image_gen", "ugc"],
    owner_wallet: WALLET,
    avatar_url: "https://example.com/a.png",
  }),
  updateMyAgent: () => ({ name: "Prop agent", payout_wallet: null, capabilities: ["custom"] }),
  createService: () => ({
    category: "image_gen",
    title: "Prop service",
    description: "Made by the property test",
    price_usd: "5.00",
    price_type: "weekly",
    turnaround_hours: 2,
    deliverables: ["one"],
    demo_url: "https://example.com/demo",
    quota_limit: 3,
  }),
  updateService: () => ({ price_usd: "7.50", quota_limit: 50, price_type: "monthly" }),
  deliverOrder: () => ({ deliverable_url: "https://cdn.example.com/x.png", deliverable_media_type: "image" }),
  quoteOrder: () => ({ price_usd: "15.00" }),
  sendOrderMessage: () => ({ content: "Working on it" }),
  launchAgentToken: () => ({ symbol: "PROP" }),
};

const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1.5, 1e308, "", "0", "5.001", "x".repeat(2001), null, [], {}, true, "__proto__"),
);

/** A mutation of a valid body: drop a field, retype one, add junk, or replace the body. */
const mutatedBody = (valid: Record<string, unknown>) => {
  const names = Object.keys(valid);
  return fc.oneof(
    fc.constant(valid),
    fc.nat().map((n) => {
      const copy = { ...valid };
      delete copy[names[n % names.length] as string];
      return copy;
    }),
    fc
      .tuple(fc.nat(), junkValue)
      .map(([n, value]) => ({ ...valid, [names[n % names.length] as string]: value })),
    fc
      .tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "id", "status")), junkValue)
      .map(([key, value]) => ({ ...valid, [key]: value })),
    junkValue,
  );
};

interface RawBody {
  body?: string | Uint8Array | FormData;
  type?: string;
}

function multipart(type: string, field = "file", bytes = 4): FormData {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type }), "f.bin");
  return form;
}

const uploadBody: fc.Arbitrary<RawBody> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        "image/png",
        "video/mp4",
        "text/plain",
        "",
        "application/octet-stream",
        "image/svg+xml",
      ),
      fc.constantFrom("file", "image", ""),
      fc.nat({ max: 16 }),
    )
    .map(([type, field, bytes]) => ({ body: multipart(type, field, bytes) })),
  fc.string().map((text) => ({ body: text, type: "multipart/form-data; boundary=xyz" })),
  fc.string().map((text) => ({ body: text, type: "multipart/form-data" })),
  fc.constant<RawBody>({
    body: '--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\n',
    type: "multipart/form-data; boundary=xyz",
  }),
  fc.constant<RawBody>({ body: JSON.stringify({ file: "x" }), type: "application/json" }),
  fc.constant<RawBody>({}),
);

const bodyFor = (operation: string): fc.Arbitrary<RawBody> => {
  if (operation === "uploadFile") return uploadBody;
  const valid = VALID[operation];
  if (!valid) return fc.constant({});
  const json = (text: string): RawBody => ({ body: text, type: "application/json" });
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBody(valid()).map((value) => json(JSON.stringify(value))) },
    { weight: 1, arbitrary: fc.string().map(json) },
    { weight: 1, arbitrary: fc.constant<RawBody>({ body: JSON.stringify(valid()), type: "text/plain" }) },
    { weight: 1, arbitrary: fc.constant<RawBody>({ body: JSON.stringify(valid()) }) },
    { weight: 1, arbitrary: fc.constant<RawBody>({}) },
  );
};

/** A path id: a real one (mine or another agent's) or junk. */
const ref = (kind: "agent" | "service" | "order") =>
  fc.oneof(
    { weight: 3, arbitrary: fc.nat().map((n) => ids[kind][n % ids[kind].length] as string) },
    fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((s) => s !== "." && s !== "..")
      .map(encodeURIComponent),
    fc.constantFrom("%ZZ", "%", "me", "register", "toString", "__proto__", "constructor", "ext_0_x"),
  );

const query = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom("status", "limit", "agent_id"), fc.string({ maxLength: 8 })),
    fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom("paid,in_progress", "paid,", ",", "PAID", "delivered", "%zz", "completed,cancelled"),
    ),
  ),
  { maxLength: 3 },
);

/** Who calls, by label (keys stay out of counterexamples). */
const caller = fc.oneof(
  { weight: 5, arbitrary: fc.constant("mine") },
  { weight: 3, arbitrary: fc.constantFrom("theirs", "none", "unknown", "basic", "empty bearer") },
);

function authFor(label: string): Record<string, string> {
  switch (label) {
    case "mine":
      return { authorization: `Bearer ${mine.apiKey}` };
    case "theirs":
      return { authorization: `Bearer ${theirs.apiKey}` };
    case "unknown":
      return { authorization: "Bearer atelier_00112233445566778899aabbccddeeff" };
    case "basic":
      return { authorization: "Basic YTpi" };
    case "empty bearer":
      return { authorization: "Bearer " };
    default:
      return {};
  }
}

interface Op {
  operationId: string;
  method: string;
  path: string;
  statuses: string[];
}

const OPERATIONS: Op[] = Object.entries(
  spec.paths as Record<string, Record<string, Record<string, unknown>>>,
).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => method !== "parameters")
    .map(([method, op]) => ({
      operationId: String(op.operationId),
      method: method.toUpperCase(),
      path,
      statuses: Object.keys(op.responses as object),
    })),
);

describe("Atelier sandbox: random invalid requests", () => {
  it("covers every operation of the spec", () => {
    expect(OPERATIONS.map((op) => op.operationId).sort()).toEqual(
      [
        "createService",
        "deleteService",
        "deliverOrder",
        "getMyAgent",
        "launchAgentToken",
        "listAgentOrders",
        "listOrderMessages",
        "listServices",
        "quoteOrder",
        "registerAgent",
        "sendOrderMessage",
        "updateMyAgent",
        "updateService",
        "uploadFile",
      ].sort(),
    );
  });

  for (const op of OPERATIONS) {
    it(`${op.operationId}: never a 5xx, always a documented status and body`, async () => {
      const kind = op.path.includes("{agent_id}")
        ? "agent"
        : op.path.includes("{service_id}")
          ? "service"
          : "order";
      await fc.assert(
        fc.asyncProperty(
          ref(kind),
          query,
          bodyFor(op.operationId),
          caller,
          async (id, pairs, payload, who) => {
            const path = op.path.replace(/\{[^}]+\}/, id);
            const search = pairs
              .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
              .join("&");
            const headers = authFor(who);
            const init: RequestInit = { method: op.method, headers };
            if (payload.body !== undefined && op.method !== "GET") {
              init.body = payload.body as BodyInit;
              if (payload.type) headers["content-type"] = payload.type;
            }
            const response = await fetch(`${url}${path}${search ? `?${search}` : ""}`, init);
            const text = await response.text();
            expect(response.status, text).toBeLessThan(500);
            expect(op.statuses, `${response.status} ${text}`).toContain(String(response.status));
            expect(conforms(op.path, op.method, response.status, JSON.parse(text)), text).toBeNull();
            // Keep the rate-limit windows open: the property is about validation, not the limits.
            advance(HOUR);
          },
        ),
        { numRuns: 80 },
      );
    });
  }
});
