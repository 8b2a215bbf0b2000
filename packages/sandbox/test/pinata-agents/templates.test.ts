/** The Pinata Agents sandbox's templates: submission, review and the marketplace. */
import { unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { createPinataAgentsClient } from "../clients.js";
import { expectStatus, pinata, sandbox, useSandbox } from "./helpers.js";

useSandbox();

describe("Pinata Agents sandbox: templates", () => {
  const STARTER = "https://git.example.com/pinata-sandbox/starter-agent";

  it("validates repositories and lists their branches and refs", async () => {
    const ok = await expectStatus<{ valid: boolean }>(
      "/v0/templates/validate",
      "post",
      pinata.POST("/v0/templates/validate", { body: { repoUrl: STARTER } }),
      200,
    );
    expect(ok).toEqual({ valid: true, errors: [] });
    const missing = await unwrap(
      pinata.POST("/v0/templates/validate", { body: { repoUrl: "https://git.example.com/nobody/nothing" } }),
    );
    expect(missing).toEqual({ valid: false, errors: ["Repository not found or not public"] });
    await sandbox.admin.act("addRepo", {
      repoUrl: "https://git.example.com/me/bad",
      manifest: { description: 3, skills: Array.from({ length: 11 }, (_, i) => `s${i}`) },
    });
    const bad = await unwrap(
      pinata.POST("/v0/templates/validate", { body: { repoUrl: "https://git.example.com/me/bad.git" } }),
    );
    expect(bad.errors).toEqual([
      "name is required",
      "description must be a string",
      "skills exceeds maximum of 10",
    ]);
    const branches = await expectStatus<{ branches: string[] }>(
      "/v0/templates/branches",
      "post",
      pinata.POST("/v0/templates/branches", { body: { repoUrl: STARTER } }),
      200,
    );
    expect(branches.branches).toEqual(["main", "dev"]);
    const refs = await expectStatus<{ tags: string[] }>(
      "/v0/templates/refs",
      "post",
      pinata.POST("/v0/templates/refs", { body: { repoUrl: STARTER } }),
      200,
    );
    expect(refs.tags).toEqual(["v1.0.0"]);
    await expectStatus(
      "/v0/templates/refs",
      "post",
      pinata.POST("/v0/templates/refs", { body: { repoUrl: "https://git.example.com/nobody/nothing" } }),
      400,
    );
    await expectStatus(
      "/v0/templates/refs",
      "post",
      pinata.POST("/v0/templates/refs", { body: { repoUrl: "not a url" } }),
      400,
    );
  });

  it("submits, reads, updates, archives and publishes templates", async () => {
    const created = await expectStatus<{ template: { templateId: string; slug: string; branch: string } }>(
      "/v0/templates",
      "post",
      pinata.POST("/v0/templates", { body: { repoUrl: STARTER, branch: "dev" } }),
      201,
    );
    const { templateId, slug } = created.template;
    expect(created.template.branch).toBe("dev");
    await expectStatus(
      "/v0/templates",
      "post",
      pinata.POST("/v0/templates", { body: { repoUrl: "https://git.example.com/me/bad" } }),
      400,
    );
    await expectStatus(
      "/v0/templates",
      "post",
      pinata.POST("/v0/templates", { body: { repoUrl: STARTER, branch: "nope" } }),
      400,
    );
    const bySlug = await expectStatus<{ template: { templateId: string } }>(
      "/v0/templates/{slugOrId}",
      "get",
      pinata.GET("/v0/templates/{slugOrId}", { params: { path: { slugOrId: slug } } }),
      200,
    );
    expect(bySlug.template.templateId).toBe(templateId);
    await expectStatus(
      "/v0/templates/id/{templateId}",
      "get",
      pinata.GET("/v0/templates/id/{templateId}", { params: { path: { templateId } } }),
      200,
    );
    await expectStatus(
      "/v0/templates/id/{templateId}",
      "get",
      pinata.GET("/v0/templates/id/{templateId}", { params: { path: { templateId: "tpl_nope" } } }),
      404,
    );
    const updated = await expectStatus<{ template: { branch: string } }>(
      "/v0/templates/{slugOrId}",
      "put",
      pinata.PUT("/v0/templates/{slugOrId}", {
        params: { path: { slugOrId: templateId } },
        body: { repoUrl: STARTER },
      }),
      200,
    );
    expect(updated.template.branch).toBe("main");
    const mine = await expectStatus<{ templates: Array<{ templateId: string }> }>(
      "/v0/templates",
      "get",
      pinata.GET("/v0/templates"),
      200,
    );
    expect(mine.templates.map((t) => t.templateId)).toContain(templateId);

    const anonymous = createPinataAgentsClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const market = await expectStatus<{ templates: Array<{ templateId: string }> }>(
      "/v0/public-templates",
      "get",
      anonymous.GET("/v0/public-templates"),
      200,
    );
    expect(market.templates.map((t) => t.templateId)).not.toContain(templateId);
    await sandbox.admin.act("publishTemplate", { templateId });
    const listed = await unwrap(anonymous.GET("/v0/public-templates"));
    expect(listed.templates.map((t) => t.templateId)).toContain(templateId);

    await expectStatus(
      "/v0/templates/{slugOrId}",
      "delete",
      pinata.DELETE("/v0/templates/{slugOrId}", { params: { path: { slugOrId: templateId } } }),
      200,
    );
    await expectStatus(
      "/v0/templates/{slugOrId}",
      "get",
      pinata.GET("/v0/templates/{slugOrId}", { params: { path: { slugOrId: slug } } }),
      404,
    );
    expect(
      (await unwrap(anonymous.GET("/v0/public-templates"))).templates.map((t) => t.templateId),
    ).not.toContain(templateId);
  });
});
