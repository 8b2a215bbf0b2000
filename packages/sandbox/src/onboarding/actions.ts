/**
 * What each provider's admin actions take: one hand-kept table per provider, read by
 * `specyard-sandbox actions <provider>` and the README. The action names themselves come from the
 * provider definitions, so an action missing here shows as undocumented (and fails the test that
 * compares the two).
 */
import { type ProviderName, providerDefinition } from "../registry.js";

export interface ActionArgument {
  name: string;
  /** A TypeScript-like type: `string`, `integer`, `"a" | "b"`, `string[]`. */
  type: string;
  required?: boolean;
  /** What the action uses when the argument is left out. */
  default?: string;
  description?: string;
}

export interface ActionDescription {
  summary: string;
  args: ActionArgument[];
  /** A note on arguments that go together (e.g. "userId or wallet"). */
  note?: string;
}

export const ACTION_DESCRIPTIONS: Record<ProviderName, Record<string, ActionDescription>> = {
  "pipe-storage": {
    configure: {
      summary: "Sandbox settings beyond the document's defaults; answers the settings now in force.",
      args: [
        {
          name: "rotateRefreshTokens",
          type: "boolean",
          default: "false",
          description: "every refresh returns a new refresh token; reusing an old one revokes the session",
        },
      ],
    },
    fundWallet: {
      summary: "The payer's side: SOL for fees and USDC to pay with, on the local ledger.",
      args: [
        { name: "address", type: "string", required: true, description: "base58 wallet address" },
        {
          name: "lamports",
          type: "integer",
          default: "1000000000",
          description: "SOL to airdrop, in lamports",
        },
        {
          name: "usdcRaw",
          type: "integer",
          default: "0",
          description: "USDC to mint, in raw units (6 decimals)",
        },
      ],
    },
    setAccountState: {
      summary: "Operations change an account's state (frozen accounts read but do not write).",
      args: [
        { name: "userId", type: "string", description: "the user" },
        { name: "wallet", type: "string", description: "or the user's wallet" },
        { name: "state", type: '"active" | "frozen" | "purge_scheduled" | "purged"', required: true },
      ],
      note: "pass userId or wallet",
    },
    createPromoCode: {
      summary: "A promo code users can redeem for credits.",
      args: [
        { name: "code", type: "string", required: true, description: "stored upper-cased" },
        { name: "amountRaw", type: "integer", default: "1000000", description: "credits in raw USDC units" },
        { name: "maxUses", type: "integer", default: "1" },
      ],
    },
    promoCodes: { summary: "The promo codes defined so far.", args: [] },
    treasury: { summary: "The treasury wallet top-ups pay into, with its USDC balance.", args: [] },
    user: {
      summary: "A user's id, wallet, credit balance and account state.",
      args: [
        { name: "userId", type: "string" },
        { name: "wallet", type: "string" },
      ],
      note: "pass userId or wallet",
    },
  },
  pipeagent: {
    keys: {
      summary: "The seeded provider account's write and read keys (the same for the same seed).",
      args: [],
    },
    createAccount: {
      summary: "A new provider account (write + read key) or consumer account (read key).",
      args: [
        { name: "kind", type: '"provider" | "consumer"', default: '"provider"' },
        { name: "name", type: "string", default: '"Sandbox <kind>"' },
        { name: "max_feeds_allowed", type: "integer", default: "3" },
      ],
    },
    createKey: {
      summary: "Another key for an account.",
      args: [
        { name: "account_id", type: "string", default: "the seeded provider account" },
        { name: "permissions", type: '("read" | "write")[]', default: '["read"]' },
      ],
    },
    setFeedQuota: {
      summary: "What operations do on request: raise (or lower) an account's feed quota.",
      args: [
        { name: "account_id", type: "string", default: "the seeded provider account" },
        { name: "max_feeds_allowed", type: "integer", required: true, description: ">= 0" },
      ],
    },
    setFeedPublic: {
      summary: "The operator's review: lists (or unlists) a feed in the catalog and search.",
      args: [
        { name: "feed_id", type: "string", required: true },
        { name: "is_public", type: "boolean", default: "true" },
      ],
    },
  },
  pipedai: {
    seedUser: {
      summary: "A user with a password (given or generated) and a ready auth_token session.",
      args: [
        { name: "email", type: "string", default: "user-<random>@sandbox.test" },
        { name: "password", type: "string", default: "generated, returned once" },
        { name: "name", type: "string", default: "null" },
      ],
    },
    seedWorkspace: {
      summary: "A workspace with one environment, owned by an existing user.",
      args: [
        { name: "ownerId", type: "string" },
        { name: "ownerEmail", type: "string" },
        { name: "name", type: "string", default: '"Sandbox workspace"' },
        { name: "environmentName", type: "string", default: '"production"' },
      ],
      note: "pass ownerId or ownerEmail",
    },
    setAllowedOrigins: {
      summary:
        "The dashboard origins credentialed CORS answers for (loopback origins and --cors-origin ones always are).",
      args: [{ name: "origins", type: "string[]", required: true }],
    },
    credentials: {
      summary:
        "A fresh user, workspace, environment, pwk_ key and registered worker: one credential per security scheme.",
      args: [],
    },
  },
  atelier: {
    placeOrder: {
      summary: "The client orders a service.",
      args: [
        { name: "service_id", type: "string", required: true, description: "an active service" },
        { name: "brief", type: "string", required: true },
        { name: "client_wallet", type: "string", default: "a random base58 address" },
        { name: "reference_urls", type: "string[]", default: "[]" },
        { name: "reference_images", type: "string[]", default: "[]" },
      ],
    },
    acceptQuote: {
      summary: "The client accepts the agent's quote.",
      args: [{ name: "order_id", type: "string", required: true }],
    },
    pay: {
      summary: "The client pays (USDC, off-sandbox); weekly and monthly orders open their window and quota.",
      args: [{ name: "order_id", type: "string", required: true }],
    },
    startOrder: {
      summary: "The platform's auto-advance of a paid order to in_progress.",
      args: [{ name: "order_id", type: "string", required: true }],
    },
    approve: {
      summary: "The client approves a delivery: completed, payout recorded.",
      args: [{ name: "order_id", type: "string", required: true }],
    },
    dispute: {
      summary: "The client disputes a delivery.",
      args: [{ name: "order_id", type: "string", required: true }],
    },
    cancel: {
      summary: "The client cancels the order.",
      args: [{ name: "order_id", type: "string", required: true }],
    },
    clientMessage: {
      summary: "The client writes on the order's thread.",
      args: [
        { name: "order_id", type: "string", required: true },
        { name: "content", type: "string", required: true, description: "1 to 2000 characters" },
      ],
    },
    order: {
      summary: "An order as the sandbox keeps it (history, subscription window, timestamps).",
      args: [{ name: "order_id", type: "string", required: true }],
    },
    payouts: {
      summary: "Payouts recorded so far (raw USDC units as strings).",
      args: [{ name: "agent_id", type: "string", default: "every agent's" }],
    },
    token: {
      summary: "The token an agent launched, if any (null otherwise).",
      args: [{ name: "agent_id", type: "string", required: true }],
    },
  },
  "pinata-agents": {
    jwt: {
      summary: "A Pinata JWT for a workspace, optionally expiring.",
      args: [
        { name: "accountId", type: "string", default: '"acct_sandbox" (the seeded workspace)' },
        { name: "expiresInSeconds", type: "integer", default: "no expiry" },
      ],
    },
    createAccount: {
      summary: "Another workspace with its own plan limit, and its JWT.",
      args: [
        { name: "name", type: "string", default: '"Sandbox workspace"' },
        { name: "agentLimit", type: "integer", default: "3" },
      ],
    },
    setAgentLimit: {
      summary: "The plan changes: a workspace's agent limit.",
      args: [
        { name: "accountId", type: "string", default: '"acct_sandbox"' },
        { name: "agentLimit", type: "integer", required: true, description: ">= 0" },
      ],
    },
    emitLog: {
      summary: "The agent's own process writes a log line (streamed to subscribers).",
      args: [
        { name: "agentId", type: "string", required: true },
        { name: "message", type: "string", default: '""' },
        { name: "level", type: '"TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL"', default: '"INFO"' },
        { name: "source", type: "string", default: '"agent"' },
      ],
    },
    setAgentStatus: {
      summary: "The container's state changes by itself (a crash: not_running).",
      args: [
        { name: "agentId", type: "string", required: true },
        { name: "status", type: '"starting" | "running" | "not_running"', required: true },
      ],
    },
    requestDevicePairing: {
      summary: "A device asks to pair with the agent.",
      args: [
        { name: "agentId", type: "string", required: true },
        { name: "name", type: "string", default: '"Sandbox phone"' },
        { name: "platform", type: "string", default: '"ios"' },
      ],
    },
    setDnsTxt: {
      summary: "The domain owner publishes a TXT record.",
      args: [
        { name: "domain", type: "string", description: "publishes the right challenge for this domain" },
        { name: "name", type: "string", description: "or a record name…" },
        { name: "value", type: "string", description: "…and its value" },
      ],
      note: "pass domain, or name and value",
    },
    addRepo: {
      summary: "A public git repository appears on the git host (for template routes).",
      args: [
        { name: "repoUrl", type: "string", required: true, description: "an http(s) URL" },
        { name: "branches", type: "string[]", default: '["main"]' },
        { name: "tags", type: "string[]", default: "[]" },
        { name: "defaultBranch", type: "string", default: "the first branch" },
        {
          name: "manifest",
          type: "object | string",
          default: "none",
          description: "the template manifest on every branch",
        },
      ],
    },
    publishTemplate: {
      summary: "The marketplace reviewer lists (or unlists) a submitted template.",
      args: [
        { name: "templateId", type: "string", required: true },
        { name: "published", type: "boolean", default: "true" },
      ],
    },
    credentials: {
      summary:
        "Credentials per security scheme: a JWT and an agent of the seeded workspace (made on first use) with its gateway token.",
      args: [],
    },
  },
};

export interface ListedAction extends ActionDescription {
  name: string;
  documented: boolean;
}

/** Every admin action the provider has, in its definition's order, with its description. */
export async function listActions(provider: ProviderName): Promise<ListedAction[]> {
  const definition = await providerDefinition(provider);
  const described = ACTION_DESCRIPTIONS[provider];
  return Object.keys(definition.actions ?? {}).map((name) => {
    const description = Object.hasOwn(described, name) ? described[name] : undefined;
    return description
      ? { name, documented: true, ...description }
      : { name, documented: false, summary: "(not described yet)", args: [] };
  });
}

/** The listing `specyard-sandbox actions <provider>` prints. */
export function formatActions(provider: ProviderName, actions: readonly ListedAction[]): string {
  const lines = [
    `${provider}: ${actions.length} admin actions`,
    `  call: POST <url>/__sandbox/actions/<name> with a JSON body, or sandbox.admin.act("<name>", {...})`,
    "",
  ];
  for (const action of actions) {
    lines.push(`${action.name}`, `    ${action.summary}`);
    if (!action.args.length) lines.push("    (no arguments)");
    const width = Math.max(0, ...action.args.map((arg) => arg.name.length));
    for (const arg of action.args) {
      const flags = arg.required
        ? "required"
        : arg.default !== undefined
          ? `default ${arg.default}`
          : "optional";
      const note = arg.description ? `  ${arg.description}` : "";
      lines.push(`    ${arg.name.padEnd(width)}  ${arg.type}  (${flags})${note}`);
    }
    if (action.note) lines.push(`    note: ${action.note}`);
    lines.push("");
  }
  return lines.join("\n");
}
