/**
 * The resource links live in the specs (OpenAPI `links` plus the `x-specyard-*` extensions of
 * `src/spec/links.ts`): every link of every spec resolves, the suite reads the chains it follows
 * from them, and a broken link is reported by what is wrong with it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot, specPath } from "@specyard/testkit";
import { expect, test } from "vitest";
import { parse } from "yaml";
import { linkCheck } from "../src/spec/link-check.js";
import { type Reader, type ResourceLink, resourceLinks, resourceName } from "../src/spec/links.js";
import { type ApiSpec, buildSpec, readSpec, type Schema, SpecError } from "../src/spec/openapi.js";
import { NOTES_SPEC } from "./notes-provider.js";

const PROVIDERS = readdirSync(join(repoRoot, "specs")).sort();
const specOf = (provider: string) => readSpec(specPath(provider), provider);
const notesDoc = (): Schema => parse(readFileSync(fileURLToPath(NOTES_SPEC), "utf8"));

test.each(PROVIDERS)("every link of the %s spec resolves", (provider) => {
  expect(linkCheck(specOf(provider))).toEqual([]);
});

test("every link of the notes fixture resolves", () => {
  expect(linkCheck(buildSpec(notesDoc(), "notes"))).toEqual([]);
});

/** A chain in one line: create → id, read, delete, read after delete, setup, body, the other linked operations. */
function line(link: ResourceLink): string {
  const reader = (r: Reader) =>
    `${r.operation}${r.listed ? ` (listed at ${r.listed.array} by ${r.listed.key})` : ""}`;
  return [
    `${link.resource}: ${link.create} → ${link.id}`,
    `read ${reader(link.read)}`,
    ...(link.delete ? [`delete ${link.delete.operation}`] : []),
    ...(link.readAfterDelete ? [`after delete ${reader(link.readAfterDelete)}`] : []),
    ...(link.setup
      ? [`setup ${link.setup.map((s) => `${s.operation} ${JSON.stringify(s.pick)}`).join(", ")}`]
      : []),
    ...(link.body ? [`body ${JSON.stringify(link.body)}`] : []),
    ...(link.uses?.length ? [`uses ${link.uses.map((u) => u.operation).join(", ")}`] : []),
  ].join(" · ");
}

test("the suite follows the chains the specs declare", () => {
  const all = Object.fromEntries(PROVIDERS.map((p) => [p, resourceLinks(specOf(p)).map(line)]));
  const environment =
    'setup GET /api/v1/workspaces {"wsId":"/items/0/id"}, GET /api/v1/workspaces/{wsId}/environments {"envId":"/items/0/id"}';
  expect(all).toEqual({
    atelier: [
      "service: POST /agents/{agent_id}/services → /data/id · read GET /agents/{agent_id}/services (listed at /data by id) · delete DELETE /services/{service_id} · after delete PATCH /services/{service_id} · " +
        'setup GET /agents/me {"agent_id":"/data/id"}',
    ],
    "pinata-agents": [
      "agent: POST /v0/agents → /agent/agentId · read GET /v0/agents/{agentId} · delete DELETE /v0/agents/{agentId} · " +
        'body {"omit":["secretIds","skillCids","channels"]}',
      "secret: POST /v0/secrets → /id · read GET /v0/secrets (listed at /secrets by id) · delete DELETE /v0/secrets/{id} · " +
        "uses PUT /v0/secrets/{id}, DELETE /v0/agents/{agentId}/secrets/{secretId}",
      "skill: POST /v0/skills → /cid · read GET /v0/skills (listed at /skills by cid) · delete DELETE /v0/skills/{skillCid} · " +
        "uses GET /v0/skills/{skillId}/versions, POST /v0/skills/{skillId}/versions, DELETE /v0/agents/{agentId}/skills/{skillId}, POST /v0/agents/{agentId}/skills/{skillId}/update",
      "domain: POST /v0/agents/{agentId}/domains → /domainId · read GET /v0/agents/{agentId}/domains (listed at /domains by domainId) · " +
        "delete DELETE /v0/agents/{agentId}/domains/{domainId} · uses PUT /v0/agents/{agentId}/domains/{domainId}, POST /v0/agents/{agentId}/domains/{domainId}/verify",
      "task: POST /v0/agents/{agentId}/tasks → /jobId · read GET /v0/agents/{agentId}/tasks/{jobId} · delete DELETE /v0/agents/{agentId}/tasks/{jobId}",
      "template: POST /v0/templates → /template/templateId · read GET /v0/templates/id/{templateId} · delete DELETE /v0/templates/{slugOrId} · " +
        "uses GET /v0/templates/{slugOrId}, PUT /v0/templates/{slugOrId}",
    ],
    "pipe-storage": [
      "credit intent: POST /api/credits/intent → /intent_id · read GET /api/credits/intent/{intent_id}",
      "S3 key: POST /api/s3/keys → /access_key_id · read GET /api/s3/keys (listed at /keys by access_key_id) · delete DELETE /api/s3/keys/{access_key_id}",
    ],
    pipeagent: [
      "feed: POST /api/v1/provider/feed/create → /id · read GET /v1/feed/{id}/metadata · " +
        'body {"omit":["id"],"set":{"schema_locked":false}} · uses PATCH /api/v1/provider/feed/{feed_id}/edit',
    ],
    pipedai: [
      "workspace: POST /api/v1/workspaces → /id · read GET /api/v1/workspaces (listed at /items by id)",
      "environment: POST /api/v1/workspaces/{wsId}/environments → /id · read GET /api/v1/workspaces/{wsId}/environments (listed at /items by id) · " +
        "delete DELETE /api/v1/environments/{id} · uses PATCH /api/v1/environments/{id}",
      "member: POST /api/v1/environments/{envId}/members → /userId · read GET /api/v1/environments/{envId}/members (listed at /items by userId) · " +
        "delete DELETE /api/v1/environments/{envId}/members/{userId} · uses PATCH /api/v1/environments/{envId}/members/{userId}",
      "api key: POST /api/v1/environments/{envId}/api-keys → /apiKey/id · read GET /api/v1/environments/{envId}/api-keys (listed at /items by id) · " +
        `delete DELETE /api/v1/environments/{envId}/api-keys/{keyId} · ${environment}`,
      `trigger: POST /api/v1/environments/{envId}/triggers → /trigger/id · read GET /api/v1/triggers/{id} · delete DELETE /api/v1/triggers/{id} · ${environment} · ` +
        'body {"omit":["workerId"]}',
    ],
  });
});

/** The notes fixture with its create operation and its 201 response's links edited. */
function brokenNotes(edit: (create: Schema, links: Schema) => void): ApiSpec {
  const doc = notesDoc();
  const create = doc.paths["/notes"].post;
  edit(create, create.responses["201"].links);
  return buildSpec(doc, "notes");
}

test("a broken link is reported by what is wrong with it", () => {
  const spec = brokenNotes((create, links) => {
    links.ReadNote.operationId = "getNotes";
    links.DeleteNote.parameters = { noteId: "$response.body#/id", id: "$response.body#/uuid" };
    links.ListNotes = {
      operationId: "listNotes",
      parameters: { "query.limit": "$request.path.folder" },
      "x-specyard-listed": { array: "/notes", key: "id", value: "$response.body#/id" },
    };
    links.ListNoteTitles = {
      operationId: "listNotes",
      "x-specyard-listed": { array: "/items", key: "name", value: "$request.header.x" },
      "x-specyard-after-delete": "yes",
    };
    links.ByRef = { operationRef: "#/paths/~1notes/get" };
    create["x-specyard-setup"] = [
      { operationId: "listNotes", pick: { folder: "$response.body#/items/0/folder" } },
      { operationId: "whoAmI", pick: {} },
    ];
    create["x-specyard-body"] = { omit: ["priority", "colour"], set: { title: "x", pinned: true } };
  });
  expect(linkCheck(spec)).toEqual([
    "POST /notes 201 ReadNote: no operation has operationId getNotes",
    "POST /notes 201 DeleteNote: noteId is not a parameter of DELETE /notes/{id}",
    "POST /notes 201 DeleteNote: $response.body#/uuid: the response's schema has no /uuid",
    "POST /notes 201 ListNotes: query.limit is not a parameter of GET /notes",
    "POST /notes 201 ListNotes: $request.path.folder: POST /notes has no path parameter folder",
    "POST /notes 201 ListNotes: x-specyard-listed: GET /notes answers no array at /notes",
    "POST /notes 201 ListNoteTitles: x-specyard-listed: the items at /items have no field name",
    "POST /notes 201 ListNoteTitles: x-specyard-listed: $request.header.x is not a runtime expression the suite evaluates",
    "POST /notes 201 ListNoteTitles: x-specyard-after-delete must be true or false",
    "POST /notes 201 ByRef: operationRef is not supported: name the operationId",
    "POST /notes: x-specyard-setup: GET /notes answers nothing at $response.body#/items/0/folder (pick folder)",
    "POST /notes: x-specyard-setup: no operation has operationId whoAmI",
    "POST /notes: x-specyard-body: the request body has no field colour",
    "POST /notes: x-specyard-body: the request body has no field pinned",
  ]);
});

test("links that resolve but that the suite cannot follow are a spec error", () => {
  const twoIds = brokenNotes((_create, links) => {
    links.ReadNote.parameters.id = "$response.body#/title";
  });
  expect(linkCheck(twoIds)).toEqual([
    "notes POST /notes: the links must agree on one $response.body#/… id, found /title, /id",
  ]);
  expect(() => resourceLinks(twoIds)).toThrow(SpecError);
  const deleteOnly = brokenNotes((_create, links) => {
    delete links.ReadNote;
  });
  expect(() => resourceLinks(deleteOnly)).toThrow("a delete link without a read (GET) link");
  const noLinks = brokenNotes((create) => {
    delete create.responses["201"].links;
  });
  expect(resourceLinks(noLinks)).toEqual([]);
});

test("a resource is named after its create operation", () => {
  expect(
    ["createApiKey", "createS3Key", "createFeed", "addMember", "registerAgent", undefined].map(resourceName),
  ).toEqual(["api key", "S3 key", "feed", "member", "agent", "resource"]);
});
