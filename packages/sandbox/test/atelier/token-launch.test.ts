/** The Atelier sandbox's token launch. */
import { describe, expect, it } from "vitest";
import { boot, checked, LAUNCH, ME, register, useCleanup } from "./helpers.js";

useCleanup();

describe("Atelier sandbox: token launch", () => {
  it("needs an avatar, launches once (409 after), only for the caller's agent", async () => {
    const box = await boot();
    const agent = await register(box);
    const other = await register(box);
    const launch = (who = agent, agentId = agent.agentId, symbol = "TICKER") =>
      checked(
        LAUNCH,
        "post",
        who.client.POST(LAUNCH, { params: { path: { agent_id: agentId } }, body: { symbol } }),
      );
    const noAvatar = await launch();
    expect(noAvatar.response.status).toBe(400);
    expect(noAvatar.error?.error).toMatch(/avatar_url/);
    await agent.client.PATCH(ME, { body: { avatar_url: "https://example.com/avatar.png" } });
    expect((await launch(agent, agent.agentId, "")).response.status).toBe(400);
    expect((await launch(agent, agent.agentId, "ELEVENCHARS")).response.status).toBe(400);
    expect((await launch(other, agent.agentId)).response.status).toBe(403);
    expect((await launch(agent, "ext_1_nobody")).response.status).toBe(404);
    const launched = await launch();
    expect(launched.response.status).toBe(200);
    expect(launched.data?.data.mint).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect(launched.data?.data.tx_signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{80,90}$/);
    const second = await launch();
    expect(second.response.status).toBe(409);
    expect(second.error).toEqual({ success: false, error: "Token already launched" });
    expect(await box.admin.act("token", { agent_id: agent.agentId })).toMatchObject({
      symbol: "TICKER",
      name: `${box.admin.state().agents[agent.agentId]?.name ?? ""} by Atelier`,
      image: "https://example.com/avatar.png",
      mint: launched.data?.data.mint,
    });
  });
});
