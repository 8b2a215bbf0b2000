/** streamLogs against the Pinata sandbox's log WebSocket (with `ws`: Node 20 has no global WebSocket). */
import { AuthenticationError, type LogMessage, streamLogs } from "@specyard/pinata-agents";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";

let sandbox: Sandbox;
let agentId: string;
let token: string;
let url: string;
beforeAll(async () => {
  sandbox = await startSandbox("pinata-agents");
  const made = (await sandbox.admin.act("credentials")) as { agentId: string; gatewayToken: string };
  ({ agentId, gatewayToken: token } = made);
  url = (sandbox.info.logStream as { url: string }).url;
});
afterAll(() => sandbox?.close());

describe("streamLogs", () => {
  it("yields typed lines as they are written and stops on abort", async () => {
    const controller = new AbortController();
    const seen: LogMessage[] = [];
    const reading = (async () => {
      for await (const line of streamLogs(agentId, {
        gatewayToken: token,
        url,
        WebSocket,
        signal: controller.signal,
      })) {
        seen.push(line);
        if (line.message === "third") controller.abort();
      }
    })();
    for (const message of ["first", "second", "third"]) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await sandbox.admin.act("emitLog", { agentId, level: "WARN", message });
    }
    await reading;
    const mine = seen.filter((line) => ["first", "second", "third"].includes(line.message));
    expect(mine.map((line) => line.message)).toEqual(["first", "second", "third"]);
    expect(mine[0]).toMatchObject({ level: "WARN", source: "agent" });
    expect(typeof mine[0]?.timestamp).toBe("string");
  });

  it("refuses a wrong token with an AuthenticationError that does not hold the token", async () => {
    const wrong = "gw_definitely-not-the-token-123456";
    const error = await (async () => {
      for await (const _ of streamLogs(agentId, { gatewayToken: wrong, url, WebSocket })) return undefined;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(String((error as Error).message)).not.toContain(wrong);
    expect(JSON.stringify(error)).not.toContain(wrong);
  });
});
