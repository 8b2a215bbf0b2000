/**
 * The stateful checks against a real sandbox (`runSandbox`) of a tiny notes API: the correct
 * provider passes, and a copy of it with one planted defect fails the check named after that defect,
 * with a shrunk reproduction.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runSandbox, type Sandbox } from "@specyard/sandbox";
import { repoRoot, specPath } from "@specyard/testkit";
import { afterEach, expect, test } from "vitest";
import type { CheckName } from "../src/exchange/checks.js";
import type { Failure } from "../src/exchange/exchange.js";
import type { TargetSession } from "../src/exchange/session.js";
import { type ProviderResult, replayFailure, runProvider } from "../src/run/runner.js";
import { runLink } from "../src/run/stateful.js";
import { buildWorld, World } from "../src/run/world.js";
import { resourceLinks } from "../src/spec/links.js";
import { readSpec } from "../src/spec/openapi.js";
import { sandboxTarget } from "../src/targets/sandbox.js";
import {
  NOTES_SPEC,
  NOTES_TOKEN,
  type NotesHandler,
  type NotesState,
  noteOf,
  notes,
  notFound,
} from "./notes-provider.js";

const spec = readSpec(fileURLToPath(NOTES_SPEC), "notes");
/** The notes spec's links: POST /notes → ReadNote (GET /notes/{id}), DeleteNote (DELETE /notes/{id}). */
const LINKS = resourceLinks(spec);

const sandboxes: Sandbox<NotesState>[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});

async function sessionFor(definition = notes): Promise<TargetSession> {
  const sandbox = await runSandbox(definition);
  sandboxes.push(sandbox);
  return {
    baseUrl: sandbox.url,
    credential: (scheme) => (scheme === "bearerAuth" ? NOTES_TOKEN : undefined),
    verifiesCredentials: true,
    close: async () => {},
  };
}

const run = async (definition = notes, links = LINKS): Promise<ProviderResult> =>
  runProvider(spec, await sessionFor(definition), "sandbox", { runs: 25, seed: 11, stateful: true, links });

/** A copy of the notes provider with some handlers replaced. */
const withHandlers = (handlers: Record<string, NotesHandler>) => ({
  ...notes,
  handlers: { ...notes.handlers, ...handlers },
});

const failures = (result: ProviderResult): Failure[] =>
  result.operations.flatMap((op) =>
    Object.values(op.outcomes).flatMap((o) => (o.status === "fail" ? [o.failure] : [])),
  );
const failed = (result: ProviderResult) => failures(result).map((f) => `${f.check} ${f.operation}`);
const only = (result: ProviderResult, check: CheckName) => {
  const found = failures(result).filter((f) => f.check === check);
  expect(found).toHaveLength(1);
  return found[0] as Failure;
};
const bodyOf = (f: Failure) => JSON.parse(f.request.body ?? "null");

test("the correct provider passes both stateful checks (and every other one that applies)", async () => {
  const result = await run();
  expect(failed(result)).toEqual([]);
  const create = result.operations.find((o) => o.operation === "POST /notes");
  expect(create?.outcomes.use_after_free.status).toBe("pass");
  expect(create?.outcomes.ensure_resource_availability.status).toBe("pass");
  const read = result.operations.find((o) => o.operation === "GET /notes/{id}");
  expect(read?.outcomes.use_after_free.status).toBe("n/a");
});

test("without links the stateful checks are n/a", async () => {
  const result = await run(notes, []);
  const create = result.operations.find((o) => o.operation === "POST /notes");
  expect(create?.outcomes.use_after_free.status).toBe("n/a");
  expect(create?.outcomes.ensure_resource_availability.status).toBe("n/a");
});

test("a deleted note that is still readable fails use_after_free, shrunk and replayable", async () => {
  const keepsDeleted = withHandlers({
    deleteNote: (request, { state }) => (noteOf(state, request.params.id) ? { status: 204 } : notFound()),
  });
  const result = await run(keepsDeleted);
  expect(failed(result)).toEqual(["use_after_free POST /notes"]);
  const f = only(result, "use_after_free");
  expect(f.message).toMatch(/deleted by DELETE \/notes\/\{id\} \(204\).*GET \/notes\/\{id\} answered 200/);
  expect(f.request.method).toBe("GET"); // the read after the delete
  expect(f.curl.split("\n")).toHaveLength(4); // create, read, delete, read again
  expect(f.curl.split("\n")[0]).toContain('{"title":" "}'); // the create request, shrunk
  expect(JSON.stringify(f)).not.toContain(NOTES_TOKEN);
  expect(await replayFailure(f, spec, await sessionFor(keepsDeleted), LINKS)).toMatchObject({
    check: "use_after_free",
  });
  expect(await replayFailure(f, spec, await sessionFor(), LINKS)).toBeUndefined();
});

test("a created note that cannot be read fails ensure_resource_availability", async () => {
  const losesCreated = withHandlers({
    createNote: (request) => {
      const { title, priority } = request.body as { title: string; priority?: number };
      return { status: 201, body: { id: "note-lost", title, priority: priority ?? 0 } };
    },
  });
  const result = await run(losesCreated);
  expect(failed(result)).toEqual(["ensure_resource_availability POST /notes"]);
  const f = only(result, "ensure_resource_availability");
  expect(f.message).toMatch(/note note-lost created by POST \/notes: GET \/notes\/\{id\} answered 404/);
  expect(f.curl.split("\n")[0]).toContain('{"title":" "}');
});

test("a 500 on some input fails not_a_server_error, shrunk to the smallest such input", async () => {
  const result = await run(
    withHandlers({
      createNote: (request, ctx) =>
        ((request.body as { priority?: number }).priority ?? 0) > 7
          ? { status: 500, body: { error: "boom" } }
          : (notes.handlers.createNote as NotesHandler)(request, ctx),
    }),
  );
  // A 500 is also an undocumented status here.
  expect(failed(result)).toEqual(["not_a_server_error POST /notes", "status_code_conformance POST /notes"]);
  expect(bodyOf(only(result, "not_a_server_error"))).toEqual({ title: " ", priority: 8 });
});

test("a field of the wrong type fails response_schema_conformance", async () => {
  const result = await run(
    withHandlers({
      createNote: async (request, ctx) => {
        const made = await (notes.handlers.createNote as NotesHandler)(request, ctx);
        return { ...made, body: { ...(made.body as object), priority: "high" } };
      },
    }),
  );
  expect(failed(result)).toEqual(["response_schema_conformance POST /notes"]);
  const f = only(result, "response_schema_conformance");
  expect(f.message).toMatch(/priority.*integer/);
  expect(bodyOf(f)).toEqual({ title: " " });
});

test("an undocumented status fails status_code_conformance, shrunk", async () => {
  const result = await run(
    withHandlers({
      createNote: (request, ctx) =>
        [...(request.body as { title: string }).title].length > 30
          ? { status: 409, body: { error: "title taken" } }
          : (notes.handlers.createNote as NotesHandler)(request, ctx),
    }),
  );
  expect(failed(result)).toEqual(["status_code_conformance POST /notes"]);
  const f = only(result, "status_code_conformance");
  expect(f.message).toContain("status 409 is not documented");
  expect([...bodyOf(f).title]).toHaveLength(31);
});

test("ignored credentials fail ignored_auth on every operation", async () => {
  const result = await run({ ...notes, guard: () => undefined });
  expect(failed(result).sort()).toEqual(
    ["DELETE /notes/{id}", "GET /notes", "GET /notes/{id}", "POST /notes"].map((op) => `ignored_auth ${op}`),
  );
  expect(JSON.stringify(failures(result))).not.toContain(NOTES_TOKEN);
});

/** The providers whose specs declare resource links. */
const LINKED = readdirSync(join(repoRoot, "specs"))
  .sort()
  .filter((provider) => resourceLinks(readSpec(specPath(provider), provider)).length > 0);

test("the links read from the specs cover the providers that have resources", () => {
  expect(LINKED).toEqual(["atelier", "pinata-agents", "pipe-storage", "pipeagent", "pipedai"]);
});

test.each(LINKED)("the links of %s hold on its real sandbox", async (provider) => {
  const session = await sandboxTarget().open(provider);
  try {
    const providerSpec = readSpec(specPath(provider), provider);
    const links = resourceLinks(providerSpec);
    // Parents first: the world creates one of each resource, so a chain's create finds its parents.
    const world = await buildWorld(new World(providerSpec, session, "sandbox", "links", 5), links);
    for (const link of links) {
      const { outcomes } = await runLink(providerSpec, session, "sandbox", link, { seed: 5, runs: 5, world });
      expect(outcomes.ensure_resource_availability?.status, link.resource).toBe("pass");
      expect(outcomes.use_after_free?.status, link.resource).toBe(link.delete ? "pass" : "n/a");
    }
  } finally {
    await session.close();
  }
});
