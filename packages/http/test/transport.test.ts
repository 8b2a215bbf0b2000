/**
 * The transports on their own (undici's request() and the global fetch, per the vitest project),
 * and the buffered response both hand back, against a loopback server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undiciTransport } from "../src/node.js";
import { BufferedResponse, fetchTransport, type Transport, type TransportRequest } from "../src/transport.js";
import { transportName } from "./subject.js";

const transport: Transport = transportName === "fetch" ? fetchTransport() : undiciTransport();

interface Loopback {
  url: string;
  bodies: Buffer[];
  headers: IncomingMessage["headers"][];
  close(): Promise<void>;
}

async function loopback(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Loopback> {
  const bodies: Buffer[] = [];
  const headers: IncomingMessage["headers"][] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks));
      headers.push(req.headers);
      handle(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const BINARY = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7919) % 256));

let other: Loopback;
let main: Loopback;
beforeAll(async () => {
  other = await loopback((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end('{"landed":"other"}');
  });
  main = await loopback((req, res) => {
    const path = req.url ?? "/";
    if (path === "/json")
      return res.writeHead(200, { "content-type": "application/json" }).end('{"a":[1,2]}');
    if (path === "/empty") return res.writeHead(204).end();
    if (path === "/binary")
      return res.writeHead(200, { "content-type": "application/octet-stream" }).end(BINARY);
    if (path === "/cookies")
      return res
        .writeHead(200, [
          ["content-type", "text/plain"],
          ["set-cookie", "a=1"],
          ["set-cookie", "b=2"],
        ])
        .end("two cookies");
    if (path === "/hop") return res.writeHead(302, { location: "/json" }).end();
    if (path === "/away") return res.writeHead(307, { location: `${other.url}/landing` }).end();
    if (path === "/stall") {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
      return; // never ends
    }
    if (path === "/echo")
      return res
        .writeHead(200, { "content-type": "application/octet-stream" })
        .end(Buffer.concat([Buffer.from(req.method ?? ""), Buffer.from(":")]));
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":"no route"}');
  });
});
afterAll(async () => {
  await main.close();
  await other.close();
});

function attempt(over: Partial<TransportRequest> = {}): TransportRequest {
  return {
    method: "GET",
    headers: new Headers(),
    body: undefined,
    signal: new AbortController().signal,
    redirect: "follow",
    ...over,
  };
}

describe(`the ${transportName} transport`, () => {
  it("hands back JSON read in full, as a buffered response with its URL", async () => {
    const response = await transport(`${main.url}/json`, attempt());
    expect(response).toBeInstanceOf(BufferedResponse);
    expect(response).toBeInstanceOf(Response);
    expect(response.url).toBe(`${main.url}/json`);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ a: [1, 2] });
  });

  it("streams binary bodies through, byte for byte", async () => {
    const response = await transport(`${main.url}/binary`, attempt());
    expect(response).not.toBeInstanceOf(BufferedResponse);
    expect(Buffer.from(await response.arrayBuffer()).equals(BINARY)).toBe(true);
  });

  it("gives no body for 204 and HEAD", async () => {
    const empty = await transport(`${main.url}/empty`, attempt());
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const head = await transport(`${main.url}/json`, attempt({ method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("keeps repeated headers apart", async () => {
    const response = await transport(`${main.url}/cookies`, attempt());
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await response.text()).toBe("two cookies");
  });

  it("sends a binary body exactly", async () => {
    const bytes = new Uint8Array(Array.from({ length: 256 }, (_, i) => i));
    const response = await transport(`${main.url}/echo`, attempt({ method: "PUT", body: bytes.buffer }));
    expect(Buffer.from(await response.arrayBuffer()).toString()).toBe("PUT:");
    expect(main.bodies.at(-1)?.equals(Buffer.from(bytes))).toBe(true);
  });

  it("follows redirects, returns them on manual and refuses them on error", async () => {
    const followed = await transport(`${main.url}/hop`, attempt());
    expect(followed.status).toBe(200);
    expect(await followed.json()).toEqual({ a: [1, 2] });
    const manual = await transport(`${main.url}/hop`, attempt({ redirect: "manual" }));
    expect(manual.status).toBe(302);
    await expect(transport(`${main.url}/hop`, attempt({ redirect: "error" }))).rejects.toThrow();
  });

  it("drops the Authorization header on a redirect to another origin", async () => {
    const headers = new Headers({ authorization: "Bearer secret-token-1234" });
    const response = await transport(`${main.url}/away`, attempt({ headers }));
    expect(await response.json()).toEqual({ landed: "other" });
    expect(main.headers.at(-1)?.authorization).toBe("Bearer secret-token-1234");
    expect(other.headers.at(-1)?.authorization).toBeUndefined();
  });

  it("fails the attempt when the body stalls and the signal fires", async () => {
    const controller = new AbortController();
    const pending = transport(`${main.url}/stall`, attempt({ signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("attempt timed out")), 50);
    await expect(pending).rejects.toBeDefined();
  });
});

describe("BufferedResponse", () => {
  const make = () =>
    new BufferedResponse(new TextEncoder().encode('{"n":1}'), {
      status: 201,
      statusText: "Created",
      headers: { "content-type": "application/json" },
      url: "http://127.0.0.1/x",
    });

  it("reads once, like any Response", async () => {
    const response = make();
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ n: 1 });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
  });

  it("clones into independent bodies", async () => {
    const response = make();
    const copy = response.clone();
    expect(await copy.text()).toBe('{"n":1}');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new TextEncoder().encode('{"n":1}'));
    expect(copy.status).toBe(201);
    expect(copy.url).toBe("http://127.0.0.1/x");
  });

  it("gives a stream for code that wants one, and then counts as read", async () => {
    const response = make();
    const text = await new Response(response.body).text();
    expect(text).toBe('{"n":1}');
    expect(response.bodyUsed).toBe(true);
    await expect(response.json()).rejects.toThrow(TypeError);
  });

  it("reads as a blob with its content type", async () => {
    const blob = await make().blob();
    expect(blob.type).toBe("application/json");
    expect(await blob.text()).toBe('{"n":1}');
  });
});
