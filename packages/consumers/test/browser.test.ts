/**
 * Headless Chromium: fixtures/browser/main.mjs bundled by the consumer project's esbuild for the
 * browser, served from a loopback server of this test (origin http://127.0.0.1:<port>), every
 * client calling its sandbox from the page — cross-origin requests, so the sandboxes' CORS is
 * exercised for real (preflights included: the credentials travel in headers).
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./helpers/run.js";
import { findChromium, mustHave } from "./helpers/runtimes.js";
import type { Outcome } from "./helpers/types.js";
import { consumer, expectedObservations, startWorld, type World } from "./helpers/world.js";

const project = consumer();
const found = findChromium();
const decision = mustHave(found);
const clientNames = Object.keys(expectedObservations({} as never));

interface PageResult {
  runtime: string;
  explicit?: Record<string, Outcome>;
  noCors?: string;
  error?: string;
}

if (decision === "fail") {
  it("chromium is installed (CI)", () => {
    throw new Error(`${found.missing} — CI installs it in .ci/run before this suite`);
  });
}

describe.skipIf(decision !== "run")(
  found.path ? `chromium (${found.version})` : `chromium: ${found.missing}`,
  () => {
    let world: World;
    let server: Server;
    let noCors: Server;
    let browser: Browser | undefined;
    let result: PageResult | undefined;
    let failure: Error | undefined;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      world = await startWorld(project);
      const bundle = join(project.dir, "browser-dist", "app.js");
      const esbuild = await run(
        join(project.dir, "node_modules", ".bin", "esbuild"),
        [
          "fixtures/browser/main.mjs",
          "--bundle",
          "--format=esm",
          "--platform=browser",
          `--outfile=${bundle}`,
        ],
        { cwd: project.dir },
      );
      if (esbuild.code !== 0) {
        failure = new Error(`esbuild could not bundle the clients for the browser:\n${esbuild.stderr}`);
        return;
      }
      // The control: answers everything, with no CORS headers.
      noCors = createServer((_request, response) => {
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
      await new Promise<void>((resolve) => noCors.listen(0, "127.0.0.1", resolve));
      const noCorsUrl = `http://127.0.0.1:${(noCors.address() as AddressInfo).port}/`;
      const page = `<!doctype html><meta charset="utf-8"><title>specyard consumers</title>
<script>window.__config = ${JSON.stringify(world.config).replace(/</g, "\\u003c")};
window.__noCorsUrl = ${JSON.stringify(noCorsUrl)};</script>
<script type="module" src="/app.js"></script>`;
      server = createServer((request, response) => {
        if (request.url === "/app.js") {
          response.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(bundle));
        } else if (request.url === "/") {
          response.writeHead(200, { "content-type": "text/html" }).end(page);
        } else response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

      browser = await chromium.launch({ executablePath: found.path as string, args: ["--no-sandbox"] });
      const tab = await browser.newPage();
      tab.on("pageerror", (error) => pageErrors.push(error.message));
      tab.on("console", (message) => {
        if (message.type() === "error") pageErrors.push(message.text());
      });
      await tab.goto(origin);
      await tab.waitForFunction(() => "__results" in window, undefined, { timeout: 0 });
      result =
        (await tab.evaluate(() => (window as unknown as { __results: PageResult }).__results)) ?? undefined;
    });

    afterAll(async () => {
      await browser?.close();
      for (const open of [server, noCors]) {
        await new Promise<void>((resolve) => (open ? open.close(() => resolve()) : resolve()));
      }
      await world?.close();
    });

    it("the page enforces CORS: a loopback server without CORS headers cannot be read", () => {
      if (failure) throw failure;
      expect(result?.noCors).toBe("blocked");
    });

    it.each(clientNames)("%s: one authenticated call from the page", (name) => {
      if (failure) throw failure;
      if (!result?.explicit) throw new Error(`the page failed: ${result?.error}\n${pageErrors.join("\n")}`);
      const outcome = result.explicit[name];
      if (!outcome) throw new Error(`the page reported nothing for ${name}`);
      if (!outcome.ok) {
        throw new Error(`${outcome.error}\npage console:\n  ${pageErrors.join("\n  ") || "(nothing)"}`);
      }
      expect(expectedObservations(world.config)[name]?.(outcome.value), JSON.stringify(outcome.value)).toBe(
        true,
      );
    });
  },
);
