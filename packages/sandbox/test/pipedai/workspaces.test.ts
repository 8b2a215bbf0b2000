/** The PipedAI sandbox's workspaces and environments, and the members of an environment. */
import type { Role } from "@specyard/pipedai";
import { describe, expect, it } from "vitest";
import { anonymous, createTrigger, newUser, sandbox, team, useSandbox } from "./helpers.js";

useSandbox();

describe("PipedAI sandbox: workspaces and environments", () => {
  it("creates, lists, renames and deletes, hiding them from non-members with 404", async () => {
    const ada = await newUser();
    const grace = await newUser();
    const ws = await ada.client.POST("/api/v1/workspaces", { body: { name: "Acme" } });
    expect(ws.response.status).toBe(201);
    const wsId = ws.data?.id as string;
    expect((await ada.client.GET("/api/v1/workspaces")).data?.items.map((w) => w.id)).toContain(wsId);
    expect((await grace.client.GET("/api/v1/workspaces")).data?.items.map((w) => w.id)).not.toContain(wsId);

    const env = await ada.client.POST("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId } },
      body: { name: "production" },
    });
    expect(env.response.status).toBe(201);
    const envId = env.data?.id as string;
    expect(env.data?.workspaceId).toBe(wsId);
    const members = await ada.client.GET("/api/v1/environments/{envId}/members", {
      params: { path: { envId } },
    });
    expect(members.data?.items).toEqual([expect.objectContaining({ userId: ada.id, role: "owner" })]);

    const listed = await ada.client.GET("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId } },
    });
    expect(listed.data?.items.map((e) => e.id)).toEqual([envId]);
    for (const call of [
      grace.client.GET("/api/v1/workspaces/{wsId}/environments", { params: { path: { wsId } } }),
      grace.client.POST("/api/v1/workspaces/{wsId}/environments", {
        params: { path: { wsId } },
        body: { name: "x" },
      }),
      grace.client.PATCH("/api/v1/environments/{id}", {
        params: { path: { id: envId } },
        body: { name: "x" },
      }),
      grace.client.DELETE("/api/v1/environments/{id}", { params: { path: { id: envId } } }),
    ]) {
      expect((await call).response.status).toBe(404);
    }

    sandbox.admin.clock.advance(1000);
    const renamed = await ada.client.PATCH("/api/v1/environments/{id}", {
      params: { path: { id: envId } },
      body: { name: "prod" },
    });
    expect(renamed.data?.name).toBe("prod");
    expect(Date.parse(renamed.data?.updatedAt ?? "")).toBeGreaterThan(
      Date.parse(renamed.data?.createdAt ?? ""),
    );
    const empty = await ada.client.PATCH("/api/v1/environments/{id}", {
      params: { path: { id: envId } },
      body: {},
    });
    expect(empty.response.status).toBe(400);
    // A JSON null is no environment change either (not a crash).
    const nullPatch = await fetch(`${sandbox.url}/api/v1/environments/${envId}`, {
      method: "PATCH",
      headers: { cookie: `auth_token=${ada.token}`, "content-type": "application/json" },
      body: "null",
    });
    expect(nullPatch.status).toBe(400);

    // A member of an environment sees its workspace; a viewer may not create environments there.
    await ada.client.POST("/api/v1/environments/{envId}/members", {
      params: { path: { envId } },
      body: { userId: grace.id, role: "viewer" },
    });
    expect((await grace.client.GET("/api/v1/workspaces")).data?.items.map((w) => w.id)).toContain(wsId);
    const denied = await grace.client.POST("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId } },
      body: { name: "mine" },
    });
    expect(denied.response.status).toBe(403);

    // Soft-deleting an environment with an active trigger is a 409; without, a 204 and then 404s.
    const triggerId = await createTrigger(ada.client, envId);
    const blocked = await ada.client.DELETE("/api/v1/environments/{id}", { params: { path: { id: envId } } });
    expect(blocked.response.status).toBe(409);
    await ada.client.DELETE("/api/v1/triggers/{id}", { params: { path: { id: triggerId } } });
    const deleted = await ada.client.DELETE("/api/v1/environments/{id}", { params: { path: { id: envId } } });
    expect(deleted.response.status).toBe(204);
    const gone = await ada.client.GET("/api/v1/environments/{envId}/members", {
      params: { path: { envId } },
    });
    expect(gone.response.status).toBe(404);
    const after = await ada.client.GET("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId } },
    });
    expect(after.data?.items).toEqual([]);
  });

  it("validates bodies and ids (400) after authentication (401 first)", async () => {
    const ada = await newUser();
    const bad = await ada.client.POST("/api/v1/workspaces", { body: { name: "" } });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.details?.fieldErrors.name).toBeDefined();
    const nullBody = await fetch(`${sandbox.url}/api/v1/workspaces`, {
      method: "POST",
      headers: { cookie: `auth_token=${ada.token}`, "content-type": "application/json" },
      body: "null",
    });
    expect(nullBody.status).toBe(400);
    const unauthenticatedBad = await anonymous().POST("/api/v1/workspaces", { body: { name: "" } });
    expect(unauthenticatedBad.response.status).toBe(401);
    const longId = await ada.client.GET("/api/v1/environments/{envId}/members", {
      params: { path: { envId: "x".repeat(65) } },
    });
    expect(longId.response.status).toBe(404); // visibility before validation: an id nobody has
  });
});

describe("PipedAI sandbox: members", () => {
  it("looks users up, adds, changes and removes members, and guards the last owner with 409", async () => {
    const { envId, owner, admin, viewer } = await team();
    const newcomer = await newUser();
    const found = await admin.client.GET("/api/v1/users/lookup", {
      params: { query: { email: newcomer.email } },
    });
    expect(found.data?.user).toEqual({ id: newcomer.id, email: newcomer.email, name: null });
    const unknown = await admin.client.GET("/api/v1/users/lookup", {
      params: { query: { email: "ghost@example.org" } },
    });
    expect(unknown.response.status).toBe(404);
    const badEmail = await admin.client.GET("/api/v1/users/lookup", {
      params: { query: { email: "ghost" } },
    });
    expect(badEmail.response.status).toBe(400);
    expect(
      (await anonymous().GET("/api/v1/users/lookup", { params: { query: { email: "a@b.co" } } })).response
        .status,
    ).toBe(401);

    const path = { params: { path: { envId } } };
    const added = await admin.client.POST("/api/v1/environments/{envId}/members", {
      ...path,
      body: { userId: newcomer.id, role: "operator" },
    });
    expect(added.response.status).toBe(201);
    expect(added.data).toMatchObject({ userId: newcomer.id, email: newcomer.email, role: "operator" });
    const twice = await admin.client.POST("/api/v1/environments/{envId}/members", {
      ...path,
      body: { userId: newcomer.id, role: "viewer" },
    });
    expect(twice.response.status).toBe(409);
    const nobody = await admin.client.POST("/api/v1/environments/{envId}/members", {
      ...path,
      body: { userId: "no-such-user", role: "viewer" },
    });
    expect(nobody.response.status).toBe(404);
    const badRole = await admin.client.POST("/api/v1/environments/{envId}/members", {
      ...path,
      body: { userId: newcomer.id, role: "superuser" as Role },
    });
    expect(badRole.response.status).toBe(400);

    const member = (userId: string) => ({ params: { path: { envId, userId } } });
    const promoted = await admin.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(newcomer.id),
      body: { role: "admin" },
    });
    expect(promoted.data?.role).toBe("admin");
    // Only an owner makes or unmakes owners.
    const toOwner = await admin.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(newcomer.id),
      body: { role: "owner" },
    });
    expect(toOwner.response.status).toBe(403);
    const demoteOwner = await admin.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(owner.id),
      body: { role: "viewer" },
    });
    expect(demoteOwner.response.status).toBe(403);
    expect(
      (await admin.client.DELETE("/api/v1/environments/{envId}/members/{userId}", member(owner.id))).response
        .status,
    ).toBe(403);
    expect(
      (await viewer.client.DELETE("/api/v1/environments/{envId}/members/{userId}", member(newcomer.id)))
        .response.status,
    ).toBe(403);

    // The last owner can neither be demoted nor removed.
    const lastDemote = await owner.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(owner.id),
      body: { role: "admin" },
    });
    expect(lastDemote.response.status).toBe(409);
    const lastRemove = await owner.client.DELETE(
      "/api/v1/environments/{envId}/members/{userId}",
      member(owner.id),
    );
    expect(lastRemove.response.status).toBe(409);
    // With a second owner, the first may go.
    await owner.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(newcomer.id),
      body: { role: "owner" },
    });
    const leave = await owner.client.DELETE(
      "/api/v1/environments/{envId}/members/{userId}",
      member(owner.id),
    );
    expect(leave.response.status).toBe(204);
    expect((await owner.client.GET("/api/v1/environments/{envId}/members", path)).response.status).toBe(404);
    const missing = await newcomer.client.DELETE(
      "/api/v1/environments/{envId}/members/{userId}",
      member(owner.id),
    );
    expect(missing.response.status).toBe(404);
    const roles = await newcomer.client.GET("/api/v1/environments/{envId}/members", path);
    expect(roles.data?.items.map((m) => m.role).sort()).toEqual(["admin", "operator", "owner", "viewer"]);
  });
});
