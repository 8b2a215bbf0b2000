/**
 * A `fetch` that sends every request to the sandbox while keeping the URL's host as the `Host`
 * header, so a client built for `https://{agentId}.agents.pinata.cloud` (the per-agent host) or
 * `https://agents.pinata.cloud` reaches the sandbox unchanged. Global `fetch` cannot set `Host`,
 * hence node:http. Pass it as the `fetch` option of `createPinataAgentsClient`.
 */
import { request as httpRequest } from "node:http";

export function sandboxFetch(sandboxUrl: string): (request: Request) => Promise<Response> {
  const target = new URL(sandboxUrl);
  return async (request) => {
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    headers.host = url.host;
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: `${url.pathname}${url.search}`,
          headers,
          signal: request.signal,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
          incoming.on("error", reject);
          incoming.on("end", () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              for (const item of Array.isArray(value) ? value : [value])
                if (item !== undefined) responseHeaders.append(name, item);
            }
            const status = incoming.statusCode ?? 502;
            const empty = status === 204 || status === 304 || request.method === "HEAD";
            resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
          });
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  };
}
