/** What the `node` export condition changes: the default transport (run once, not per transport). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime as createBaseRuntime } from "../src/index.js";
import { createRuntime as createNodeRuntime, undiciTransport } from "../src/node.js";

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end('{"a":[1,2]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/json`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

describe("the Node entry", () => {
  it("sends through undici, not the global fetch", async () => {
    const original = globalThis.fetch;
    globalThis.fetch = () => Promise.reject(new Error("global fetch called"));
    try {
      const viaNode = await createNodeRuntime().fetch(new Request(url));
      expect(await viaNode.json()).toEqual({ a: [1, 2] });
      await expect(createBaseRuntime({ maxRetries: 0 }).fetch(new Request(url))).rejects.toThrow(
        /global fetch called/,
      );
    } finally {
      globalThis.fetch = original;
    }
  });

  it("sends through the dispatcher it is given", async () => {
    const agent = new Agent();
    let connections = 0;
    agent.on("connect", () => {
      connections++;
    });
    try {
      const transport = undiciTransport({ dispatcher: agent });
      const response = await transport(url, {
        method: "GET",
        headers: new Headers(),
        body: undefined,
        signal: new AbortController().signal,
        redirect: "follow",
      });
      expect(await response.json()).toEqual({ a: [1, 2] });
      expect(connections).toBe(1);
    } finally {
      await agent.close();
    }
  });
});
