/** Node-only: credentials and the delivery journal in files (mode 0600, written atomically). */
import { readFile } from "node:fs/promises";
import { readEnv, unwrap } from "@specyard/http";
import { writePrivateFile } from "@specyard/http/files";
import type { DeliveryJournal, DeliveryRecord } from "./agent.js";
import {
  type AtelierClient,
  type AtelierClientOptions,
  type CreateServiceRequest,
  createAtelierClient,
  type RegisterAgentRequest,
} from "./client.js";

export interface SavedCredentials {
  agent_id: string;
  api_key: string;
}

export async function readCredentials(path: string): Promise<SavedCredentials | undefined> {
  try {
    const saved = JSON.parse(await readFile(path, "utf8")) as Partial<SavedCredentials>;
    if (typeof saved.agent_id === "string" && typeof saved.api_key === "string")
      return saved as SavedCredentials;
    throw new Error(`${path} does not hold {agent_id, api_key}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** An agent configured through the environment (`specyard-sandbox up` writes both variables). */
function credentialsFromEnv(): SavedCredentials | undefined {
  const agent_id = readEnv("ATELIER_AGENT_ID");
  const api_key = readEnv("ATELIER_API_KEY");
  return agent_id && api_key ? { agent_id, api_key } : undefined;
}

export interface EnsureAgentOptions extends Omit<AtelierClientOptions, "apiKey"> {
  credentialsFile: string;
  profile: RegisterAgentRequest & { payout_wallet?: string | null };
  /** Services that must exist, matched by title; missing ones are created, none twice. */
  services?: CreateServiceRequest[];
}

/**
 * Registers only when no credentials exist — neither in `credentialsFile` nor as the
 * `ATELIER_AGENT_ID` + `ATELIER_API_KEY` variables — and saves `agent_id` + `api_key` (0600,
 * atomically, never over an existing file) before anything else can fail; then sets the payout
 * wallet and makes sure the listed services exist.
 */
export async function ensureAgent(
  options: EnsureAgentOptions,
): Promise<{ agentId: string; client: AtelierClient; registered: boolean }> {
  const { credentialsFile, profile, services = [], ...clientOptions } = options;
  let saved = (await readCredentials(credentialsFile)) ?? credentialsFromEnv();
  let registered = false;
  if (!saved) {
    const { payout_wallet: _payout, ...registration } = profile;
    const answer = await unwrap(
      createAtelierClient(clientOptions).POST("/agents/register", { body: registration }),
    );
    saved = { agent_id: answer.data.agent_id, api_key: answer.data.api_key };
    // The key is shown once: it is on disk before the next request.
    await writePrivateFile(credentialsFile, `${JSON.stringify(saved, null, 2)}\n`, { overwrite: false });
    registered = true;
  }
  const client = createAtelierClient({ ...clientOptions, apiKey: saved.api_key });
  if (profile.payout_wallet !== undefined) {
    await unwrap(client.PATCH("/agents/me", { body: { payout_wallet: profile.payout_wallet } }));
  }
  if (services.length) {
    const existing = await unwrap(
      client.GET("/agents/{agent_id}/services", { params: { path: { agent_id: saved.agent_id } } }),
    );
    const titles = new Set(existing.data.map((service) => service.title));
    for (const service of services) {
      if (titles.has(service.title)) continue;
      await unwrap(
        client.POST("/agents/{agent_id}/services", {
          params: { path: { agent_id: saved.agent_id } },
          body: service,
        }),
      );
      titles.add(service.title);
    }
  }
  return { agentId: saved.agent_id, client, registered };
}

/** Deliveries remembered in a JSON file, so a restarted agent never delivers an order twice. */
export class FileDeliveryJournal implements DeliveryJournal {
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();
  constructor(path: string) {
    this.path = path;
  }
  async #all(): Promise<Record<string, DeliveryRecord>> {
    try {
      return JSON.parse(await readFile(this.path, "utf8")) as Record<string, DeliveryRecord>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw error;
    }
  }
  async get(orderId: string) {
    return (await this.#all())[orderId];
  }
  put(orderId: string, record: DeliveryRecord): Promise<void> {
    const write = this.#queue.then(async () => {
      const all = await this.#all();
      all[orderId] = record;
      await writePrivateFile(this.path, JSON.stringify(all, null, 2));
    });
    this.#queue = write.catch(() => undefined);
    return write;
  }
}
