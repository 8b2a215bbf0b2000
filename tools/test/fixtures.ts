import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { Doc } from "../src/openapi-walk.js";

/** A small curated spec with a ref, a nested object, an array and path-level parameters. */
export function curatedSpec(): Doc {
  return {
    openapi: "3.0.3",
    info: { title: "Demo", version: "1.0.0" },
    paths: {
      "/feeds": {
        get: {
          operationId: "listFeeds",
          parameters: [{ name: "limit", in: "query", schema: { type: "integer", maximum: 100 } }],
          responses: {
            "200": {
              description: "ok",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { items: { type: "array", items: { $ref: "#/components/schemas/Feed" } } },
                  },
                },
              },
            },
          },
        },
        post: {
          operationId: "createFeed",
          requestBody: {
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["name"],
                  properties: { name: { type: "string", maxLength: 50 } },
                },
              },
            },
          },
          responses: {
            "201": {
              description: "created",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Feed" } } },
            },
          },
        },
      },
      "/feeds/{id}": {
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        delete: { operationId: "deleteFeed", responses: { "204": { description: "gone" } } },
      },
    },
    components: {
      schemas: {
        Feed: {
          type: "object",
          required: ["id"],
          properties: {
            id: { type: "string" },
            price: { type: "number" },
            owner: { type: "object", properties: { wallet: { type: "string" } } },
          },
        },
      },
    },
  };
}

/** A repository root with one provider `demo` whose source.json points at `url`. */
export function tempRoot(spec: Doc, url: string | null): string {
  const root = mkdtempSync(join(tmpdir(), "specyard-tools-"));
  writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
  mkdirSync(join(root, "specs", "demo"), { recursive: true });
  writeFileSync(join(root, "specs", "demo", "openapi.yaml"), stringify(spec));
  writeFileSync(
    join(root, "specs", "demo", "source.json"),
    JSON.stringify({ provider: "demo", upstream: url ? { url, format: "yaml" } : null }),
  );
  return root;
}

export function gitInit(root: string): (message: string) => void {
  const run = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "ignore" });
  run("init", "-q");
  run("config", "user.email", "test@example.invalid");
  run("config", "user.name", "test");
  return (message: string) => {
    run("add", "-A");
    run("commit", "-q", "-m", message);
  };
}
