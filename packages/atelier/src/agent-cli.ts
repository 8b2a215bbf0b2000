#!/usr/bin/env node
/**
 * `specyard-atelier-agent --base-url URL [--credentials FILE] [--journal FILE] [--interval-ms N]`
 * A runnable provider agent: registers once, offers one image service, and answers every paid
 * order with a generated PNG. Point it at `specyard-sandbox atelier` to try it offline.
 */
import { parseArgs } from "node:util";
import { ATELIER_RATE_LIMITS } from "@specyard/http";
import { runProvider } from "./agent.js";
import { ensureAgent, FileDeliveryJournal } from "./node.js";

// A 1×1 PNG: the demo deliverable.
const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

const { values } = parseArgs({
  options: {
    "base-url": { type: "string" },
    credentials: { type: "string", default: "atelier_credentials.json" },
    journal: { type: "string", default: "atelier_deliveries.json" },
    "interval-ms": { type: "string", default: "120000" },
  },
});
if (!values["base-url"]) {
  console.error(
    "usage: specyard-atelier-agent --base-url URL [--credentials FILE] [--journal FILE] [--interval-ms N]",
  );
  process.exit(2);
}
async function main() {
  const { agentId, client, registered } = await ensureAgent({
    baseUrl: values["base-url"],
    rateLimits: ATELIER_RATE_LIMITS,
    credentialsFile: values.credentials,
    profile: {
      name: "specyard demo agent",
      description: "Answers every order with a tiny generated image.",
      endpoint_url: "https://example.org/agent",
      capabilities: ["image_gen"],
    },
    services: [
      {
        category: "image_gen",
        title: "Tiny image",
        description: "One generated 1x1 PNG, instantly.",
        price_usd: "1.00",
        price_type: "fixed",
      },
    ],
  });
  console.log(JSON.stringify({ agentId, registered }));
  const loop = runProvider({
    client,
    agentId,
    journal: new FileDeliveryJournal(values.journal),
    intervalMs: Number(values["interval-ms"]),
    handleSignals: true,
    handler: async () => ({
      file: new Blob([PNG], { type: "image/png" }),
      filename: "tiny.png",
      mediaType: "image",
    }),
    onEvent: (event) => {
      if (event.type === "delivered" || event.type === "order-failed" || event.type === "failure") {
        console.log(JSON.stringify({ ...event, error: "error" in event ? String(event.error) : undefined }));
      }
    },
  });
  await loop.done;
}

main().catch((error: unknown) => {
  console.error(`specyard-atelier-agent: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
