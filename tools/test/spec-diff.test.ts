import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { breakingChanges, gate } from "../src/spec-diff.js";
import { curatedSpec, gitInit, tempRoot } from "./fixtures.js";

describe("breakingChanges", () => {
  it("finds nothing between equal specs and for additions", () => {
    const after = curatedSpec();
    after.paths["/other"] = { get: { responses: { "200": { description: "ok" } } } };
    after.components.schemas.Feed.properties.extra = { type: "string" };
    expect(breakingChanges(curatedSpec(), curatedSpec())).toEqual([]);
    expect(breakingChanges(curatedSpec(), after)).toEqual([]);
  });

  it.each([
    ["a removed operation", (d: ReturnType<typeof curatedSpec>) => delete d.paths["/feeds/{id}"].delete],
    [
      "a removed response field",
      (d: ReturnType<typeof curatedSpec>) => delete d.components.schemas.Feed.properties.price,
    ],
    [
      "a narrowed type",
      (d: ReturnType<typeof curatedSpec>) => (d.components.schemas.Feed.properties.price.type = "integer"),
    ],
    [
      "a changed parameter type",
      (d: ReturnType<typeof curatedSpec>) => (d.paths["/feeds"].get.parameters[0].schema.type = "string"),
    ],
    [
      "a new required input",
      (d: ReturnType<typeof curatedSpec>) => {
        const schema = d.paths["/feeds"].post.requestBody.content["application/json"].schema;
        schema.properties.kind = { type: "string" };
        schema.required.push("kind");
      },
    ],
    [
      "a tightened input limit",
      (d: ReturnType<typeof curatedSpec>) =>
        (d.paths["/feeds"].post.requestBody.content["application/json"].schema.properties.name.maxLength =
          20),
    ],
  ])("flags %s", (_, mutate) => {
    const after = curatedSpec();
    mutate(after);
    expect(breakingChanges(curatedSpec(), after).length).toBeGreaterThan(0);
  });
});

describe("the gate", () => {
  function repoWithBreakingChange() {
    const root = tempRoot(curatedSpec(), null);
    const commit = gitInit(root);
    commit("base");
    const after = curatedSpec();
    delete after.paths["/feeds/{id}"];
    writeFileSync(join(root, "specs/demo/openapi.yaml"), stringify(after));
    commit("break");
    return { root, commit };
  }

  it("fails a breaking change without a major changeset, naming the package", () => {
    const { root } = repoWithBreakingChange();
    const result = gate("HEAD~1", root);
    expect(result.code).toBe(1);
    expect(result.lines.join("\n")).toMatch(/demo: 1 breaking change/);
    expect(result.lines.join("\n")).toContain('"@specyard/demo": major');
  });

  it("passes it with a major changeset, and not with a minor one", () => {
    const { root } = repoWithBreakingChange();
    mkdirSync(join(root, ".changeset"), { recursive: true });
    writeFileSync(join(root, ".changeset/x.md"), '---\n"@specyard/demo": minor\n---\n\nDrop delete.\n');
    expect(gate("HEAD~1", root).code).toBe(1);
    writeFileSync(join(root, ".changeset/x.md"), '---\n"@specyard/demo": major\n---\n\nDrop delete.\n');
    expect(gate("HEAD~1", root).code).toBe(0);
  });

  it("passes a compatible change and a spec that is new", () => {
    const root = tempRoot(curatedSpec(), null);
    const commit = gitInit(root);
    commit("base");
    expect(gate("HEAD", root).code).toBe(0);
    mkdirSync(join(root, "specs/fresh"), { recursive: true });
    writeFileSync(join(root, "specs/fresh/openapi.yaml"), stringify(curatedSpec()));
    const result = gate("HEAD", root);
    expect(result.code).toBe(0);
    expect(result.lines.join("\n")).toContain("fresh: new spec");
  });
});
