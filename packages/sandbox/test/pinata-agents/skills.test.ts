/** The Pinata Agents sandbox's skills: the library, ClawHub, attaching and updating an agent's skills. */
import { cursorPages, unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { expectStatus, newAgent, path, pinata, useSandbox } from "./helpers.js";

useSandbox();

describe("Pinata Agents sandbox: skills and ClawHub", () => {
  it("registers a skill, publishes versions and moves an agent to the latest", async () => {
    const skill = await expectStatus<{ skillId: string; cid: string; version: string }>(
      "/v0/skills",
      "post",
      pinata.POST("/v0/skills", { body: { name: "My Skill", cid: "bafyskillv1", description: "d" } }),
      201,
    );
    expect(skill.version).toBe("1.0.0");
    const agent = await newAgent({ skillCids: ["bafyskillv1"] });
    const v2 = await expectStatus<{ version: string }>(
      "/v0/skills/{skillId}/versions",
      "post",
      pinata.POST("/v0/skills/{skillId}/versions", {
        params: { path: { skillId: skill.skillId } },
        body: { cid: "bafyskillv2" },
      }),
      201,
    );
    expect(v2.version).toBe("1.0.1");
    await expectStatus(
      "/v0/skills/{skillId}/versions",
      "post",
      pinata.POST("/v0/skills/{skillId}/versions", {
        params: { path: { skillId: skill.skillId } },
        body: { cid: "bafyx", version: "1.0.1" },
      }),
      400,
    );
    const versions = await expectStatus<{ versions: Array<{ version: string }> }>(
      "/v0/skills/{skillId}/versions",
      "get",
      pinata.GET("/v0/skills/{skillId}/versions", { params: { path: { skillId: skill.skillId } } }),
      200,
    );
    expect(versions.versions.map((v) => v.version)).toEqual(["1.0.1", "1.0.0"]);
    await expectStatus(
      "/v0/skills/{skillId}/versions",
      "get",
      pinata.GET("/v0/skills/{skillId}/versions", { params: { path: { skillId: "skl_nope" } } }),
      404,
    );

    const updates = await expectStatus<{ updates: unknown[] }>(
      "/v0/agents/{agentId}/skills/updates",
      "get",
      pinata.GET("/v0/agents/{agentId}/skills/updates", path(agent.agentId)),
      200,
    );
    expect(updates.updates).toEqual([
      { skillId: skill.skillId, name: "My Skill", currentVersion: "1.0.0", latestVersion: "1.0.1" },
    ]);
    const bump = (skillId: string) =>
      pinata.POST("/v0/agents/{agentId}/skills/{skillId}/update", {
        params: { path: { agentId: agent.agentId, skillId } },
      });
    await expectStatus("/v0/agents/{agentId}/skills/{skillId}/update", "post", bump(skill.skillId), 200);
    await expectStatus("/v0/agents/{agentId}/skills/{skillId}/update", "post", bump("skl_nope"), 404);
    const skills = await expectStatus<{ skills: Array<{ cid: string; version: string }> }>(
      "/v0/agents/{agentId}/skills",
      "get",
      pinata.GET("/v0/agents/{agentId}/skills", path(agent.agentId)),
      200,
    );
    expect(skills.skills).toEqual([expect.objectContaining({ cid: "bafyskillv2", version: "1.0.1" })]);

    const detach = () =>
      pinata.DELETE("/v0/agents/{agentId}/skills/{skillId}", {
        params: { path: { agentId: agent.agentId, skillId: skill.skillId } },
      });
    await expectStatus("/v0/agents/{agentId}/skills/{skillId}", "delete", detach(), 200);
    await expectStatus("/v0/agents/{agentId}/skills/{skillId}", "delete", detach(), 404);
    const list = await expectStatus<{ skills: Array<{ skillId: string }> }>(
      "/v0/skills",
      "get",
      pinata.GET("/v0/skills"),
      200,
    );
    expect(list.skills.map((s) => s.skillId)).toContain(skill.skillId);
    await expectStatus(
      "/v0/skills/{skillCid}",
      "delete",
      pinata.DELETE("/v0/skills/{skillCid}", { params: { path: { skillCid: "bafyskillv2" } } }),
      200,
    );
    await expectStatus(
      "/v0/skills/{skillCid}",
      "delete",
      pinata.DELETE("/v0/skills/{skillCid}", { params: { path: { skillCid: "bafyskillv2" } } }),
      404,
    );
  });

  it("attaches at most 10 skills to an agent", async () => {
    const agent = await newAgent();
    const hub = await unwrap(pinata.GET("/v0/clawhub", { params: { query: { sort: "name" } } }));
    const ids = hub.skills.map((s) => s.hubSkillId);
    await expectStatus(
      "/v0/agents/{agentId}/skills",
      "post",
      pinata.POST("/v0/agents/{agentId}/skills", {
        ...path(agent.agentId),
        body: { skillCids: ids.slice(0, 9) },
      }),
      200,
    );
    await expectStatus(
      "/v0/agents/{agentId}/skills",
      "post",
      pinata.POST("/v0/agents/{agentId}/skills", {
        ...path(agent.agentId),
        body: { skillCids: ["unknown-skill"] },
      }),
      404,
    );
    const over = await expectStatus<{ error: string }>(
      "/v0/agents/{agentId}/skills",
      "post",
      pinata.POST("/v0/agents/{agentId}/skills", {
        ...path(agent.agentId),
        body: { skillCids: ["@pinata/api", "@pinata/platform"] },
      }),
      400,
    );
    expect(over.error).toContain("skills exceeds maximum of 10");
    expect(
      (await unwrap(pinata.GET("/v0/agents/{agentId}/skills", path(agent.agentId)))).skills,
    ).toHaveLength(9);
  });

  it("pages through ClawHub with cursors, filters it and installs from it", async () => {
    const all = [];
    for await (const skill of cursorPages(
      (cursor) => unwrap(pinata.GET("/v0/clawhub", { params: { query: cursor ? { cursor } : {} } })),
      (page) => page.skills,
    ))
      all.push(skill);
    expect(all.length).toBeGreaterThan(10);
    expect(new Set(all.map((s) => s.hubSkillId)).size).toBe(all.length);
    const first = await expectStatus<{ skills: unknown[]; nextCursor: string | null }>(
      "/v0/clawhub",
      "get",
      pinata.GET("/v0/clawhub"),
      200,
    );
    expect(first.skills).toHaveLength(10);
    expect(first.nextCursor).toEqual(expect.any(String));
    const research = await unwrap(pinata.GET("/v0/clawhub", { params: { query: { category: "research" } } }));
    expect(research.skills.every((s) => s.category === "research")).toBe(true);
    expect(research.nextCursor).toBeNull();
    const featured = await unwrap(pinata.GET("/v0/clawhub", { params: { query: { featured: true } } }));
    expect(featured.skills.length).toBeGreaterThan(0);
    expect(featured.skills.every((s) => s.featured)).toBe(true);
    await expectStatus(
      "/v0/clawhub",
      "get",
      pinata.GET("/v0/clawhub", { params: { query: { sort: "random" as never } } }),
      400,
    );
    await expectStatus(
      "/v0/clawhub",
      "get",
      pinata.GET("/v0/clawhub", { params: { query: { cursor: "garbage" } } }),
      400,
    );

    const detail = await expectStatus<{ skill: { hubSkillId: string }; readme: string }>(
      "/v0/clawhub/{slug}",
      "get",
      pinata.GET("/v0/clawhub/{slug}", { params: { path: { slug: "web-search" } } }),
      200,
    );
    expect(detail.readme).toContain("Web Search");
    await expectStatus(
      "/v0/clawhub/{slug}",
      "get",
      pinata.GET("/v0/clawhub/{slug}", { params: { path: { slug: "nope" } } }),
      404,
    );
    const installed = await expectStatus<{ skill: { name: string } }>(
      "/v0/clawhub/{hubSkillId}/install",
      "post",
      pinata.POST("/v0/clawhub/{hubSkillId}/install", {
        params: { path: { hubSkillId: detail.skill.hubSkillId } },
      }),
      201,
    );
    expect(installed.skill.name).toBe("Web Search");
    await expectStatus(
      "/v0/clawhub/{hubSkillId}/install",
      "post",
      pinata.POST("/v0/clawhub/{hubSkillId}/install", { params: { path: { hubSkillId: "hub_nope" } } }),
      404,
    );
  });
});
