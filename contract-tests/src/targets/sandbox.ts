/**
 * The project's own stateful sandboxes as a target: each provider's sandbox is started on a free
 * loopback port, and real credentials are obtained the way a user would (a SIWS sign-in for Pipe,
 * the seeded keys for PipeAgent), so `ignored_auth` also tries wrong ones.
 */
import { availableProviders, type ProviderName, startSandbox } from "@specyard/sandbox";
import { addressOf, secretKeySigner, signIn } from "@specyard/siws";
import nacl from "tweetnacl";
import type { Fixtures, StatefulSession } from "../run/world.js";
import { type Target, TargetError, TargetSkip } from "./target.js";

type Credentials = Record<string, string>;
type Act = (action: string, input?: Record<string, unknown>) => Promise<unknown>;

/** One provider's way in: credentials (again, for `renew`, from what `memo` kept), and fixtures. */
interface Driver {
  credentials(url: string, act: Act, memo: Record<string, unknown>): Promise<Credentials>;
  /** Things only the other party (admin actions) can make, once the world exists. */
  fixtures?(
    url: string,
    act: Act,
    credentials: Credentials,
    known: (name: string) => string | undefined,
    stage: "before" | "after",
    memo: Record<string, unknown>,
  ): Promise<Fixtures>;
}

/** A SIWS sign-in with the session's wallet: the same account every time. */
async function pipeSignIn(url: string, memo: Record<string, unknown>): Promise<Credentials> {
  memo.keys ??= nacl.sign.keyPair();
  const keys = memo.keys as nacl.SignKeyPair;
  const tokens = await signIn({ signer: secretKeySigner(keys.secretKey), origin: url });
  const me = (await (
    await fetch(`${url}/user/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })
  ).json()) as { user_app_key: string };
  memo.refreshToken = tokens.refreshToken;
  return { bearerAuth: tokens.accessToken, csrfToken: tokens.csrfToken ?? "", appKey: me.user_app_key };
}

const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const answer = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return (await answer.json()) as Record<string, unknown>;
};

/**
 * PipedAI's worker side: another user to add as a member (and look up), a `wrk_` registration
 * token, and the session's worker with a run in each state its run routes start from.
 */
async function pipedaiFixtures(
  url: string,
  act: Act,
  credentials: Credentials,
  made: Record<string, string>,
) {
  const owner = { cookie: `auth_token=${credentials.authTokenCookie}` };
  const env = made.environmentId ?? "";
  const api = (path: string, body: unknown, headers: Record<string, string>) =>
    post(`${url}/api/v1${path}`, body, headers);
  // Users to add as members (the world's, the chain's, the checks', a delete's own) and one to look up.
  const users: { user: { id: string; email: string } }[] = [];
  for (let i = 0; i < 5; i++)
    users.push((await act("seedUser", {})) as { user: { id: string; email: string } });
  const minted = await api(
    `/environments/${env}/api-keys`,
    { name: "specyard-contract worker", prefix: "wrk" },
    owner,
  );
  const trigger = (await api(
    `/environments/${env}/triggers`,
    { name: "specyard-contract runs", type: "manual", workerId: made.workerId },
    owner,
  )) as {
    trigger?: { id: string };
  };
  const worker = { authorization: `Bearer ${credentials.wktWorkerToken}` };
  const runs: string[] = [];
  for (let i = 0; i < 4; i++) {
    const run = (await api(`/triggers/${trigger.trigger?.id}/run`, { input: {} }, owner)) as { id: string };
    runs.push(run.id);
  }
  const step = (run: string | undefined, name: string) =>
    api(`/workers/${made.workerId}/runs/${run}/${name}`, {}, worker);
  // Claimed, running, running: the start, heartbeat and complete routes each find a run they accept.
  for (const run of runs.slice(1)) await step(run, "claim");
  for (const run of runs.slice(2)) await step(run, "start");
  const id = made.workerId ?? "";
  return {
    operations: {
      lookupUser: { email: users[4]?.user.email ?? "" },
      pollWorker: { id },
      claimRun: { id, runId: runs[0] ?? "" },
      startRun: { id, runId: runs[1] ?? "" },
      heartbeatRun: { id, runId: runs[2] ?? "" },
      completeRun: { id, runId: runs[3] ?? "" },
    },
    bodies: {
      addMember: users.slice(0, 4).map(({ user }) => ({ userId: user.id, role: "operator" })),
      ...(typeof minted.token === "string"
        ? { registerWorker: [{ registrationToken: minted.token, name: "specyard-contract-worker" }] }
        : {}),
    },
  };
}

/**
 * Git Smart HTTP requests the agent's repository accepts: a fetch of the first advertised ref
 * (`want <sha>`, flush, `done`) and an empty push (a flush alone).
 */
async function gitBodies(url: string, agentId: string, basic: string): Promise<Record<string, unknown[]>> {
  const authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
  const refs = await fetch(`${url}/v0/agents/${agentId}/git/info/refs?service=git-upload-pack`, {
    headers: { authorization },
  });
  const sha = /[0-9a-f]{40}/.exec(await refs.text())?.[0];
  const bodies: Record<string, unknown[]> = { gitReceivePack: ["0000"] };
  if (sha) bodies.gitUploadPack = [`0032want ${sha}\n00000009done\n`];
  return bodies;
}

/** How to get each provider's credentials from a fresh sandbox, by security scheme name. */
const DRIVERS: Partial<Record<ProviderName, Driver>> = {
  "pipe-storage": {
    credentials: (url, _act, memo) => pipeSignIn(url, memo),
    // A signed challenge (its nonce is good once) and the session's refresh token.
    async fixtures(url, act, _credentials, _known, stage) {
      if (stage !== "before") return {};
      const code = "SPECYARD-CONTRACT";
      await act("createPromoCode", { code, amountRaw: 1_000_000, maxUses: 1 });
      const keys = nacl.sign.keyPair();
      const wallet = addressOf(secretKeySigner(keys.secretKey));
      const challenge = (await post(`${url}/auth/siws/challenge`, { wallet_public_key: wallet })) as {
        nonce: string;
        message: string;
      };
      const signature = nacl.sign.detached(new TextEncoder().encode(challenge.message), keys.secretKey);
      return {
        bodies: {
          redeemPromoCode: [{ code }],
          verifySiwsSignature: [
            {
              wallet_public_key: wallet,
              nonce: challenge.nonce,
              message: challenge.message,
              signature_b64: Buffer.from(signature).toString("base64"),
            },
          ],
        },
      };
    },
  },
  atelier: {
    async credentials(url) {
      const body = (await post(`${url}/agents/register`, {
        name: "Contract Agent",
        description: "Registered by the contract suite",
        endpoint_url: "https://agent.example.com",
        capabilities: ["image_gen"],
      })) as { data?: { api_key?: string } };
      if (!body.data?.api_key) throw new Error("atelier registration gave no api_key");
      return { bearerAuth: body.data.api_key };
    },
    // Orders come from clients: a paid one of the world's service, and one awaiting a quote.
    async fixtures(url, act, credentials, known, stage) {
      if (stage !== "after") return {};
      const service = known("service_id");
      const agent = known("agent_id");
      if (!service || !agent) return {};
      const paid = (await act("placeOrder", { service_id: service, brief: "A contract-suite brief" })) as {
        id: string;
      };
      await act("pay", { order_id: paid.id });
      const quoteService = (await post(
        `${url}/agents/${agent}/services`,
        {
          category: "image_gen",
          title: "specyard-contract quote service",
          description: "A service priced by quote, for the contract suite",
          price_type: "quote",
          price_usd: "1.00",
        },
        { authorization: `Bearer ${credentials.bearerAuth}` },
      )) as { data?: { id?: string } };
      const quoted = quoteService.data?.id
        ? ((await act("placeOrder", { service_id: quoteService.data.id, brief: "Quote me" })) as {
            id: string;
          })
        : undefined;
      return {
        vars: { order_id: paid.id },
        ...(quoted ? { operations: { quoteOrder: { order_id: quoted.id } } } : {}),
      };
    },
  },
  pipedai: {
    async credentials(_url, act, memo) {
      const made = (await act("credentials")) as Record<string, string>;
      memo.made = made;
      return {
        authTokenCookie: made.authTokenCookie ?? "",
        pwkApiKey: made.pwkApiKey ?? "",
        wktWorkerToken: made.wktWorkerToken ?? "",
      };
    },
    async fixtures(url, act, credentials, _known, stage, memo) {
      if (stage !== "before") return {};
      return pipedaiFixtures(url, act, credentials, memo.made as Record<string, string>);
    },
  },
  // The seeded workspace's plan allows 3 agents: the checks create more.
  "pinata-agents": {
    async credentials(_url, act, memo) {
      await act("setAgentLimit", { agentLimit: 100_000 });
      const made = (await act("credentials")) as Credentials;
      memo.agentId = made.agentId;
      return made;
    },
    async fixtures(url, act, credentials, known, stage, memo) {
      const agentId = String(memo.agentId ?? "");
      if (stage === "before") {
        // The routes an agent's own gateway token or git credential call: that agent's id.
        const own = { agentId };
        // The template routes read a public repository on the git host.
        await act("addRepo", {
          repoUrl: "https://github.com/pinata-templates/research-assistant",
          branches: ["main", "v2"],
          manifest: { name: "specyard-contract template", description: "For the contract suite" },
        });
        return {
          bodies: await gitBodies(url, agentId, credentials.gitBasic ?? ""),
          operations: Object.fromEntries(
            [
              "createPlatformToken",
              "getPlatformIdentity",
              "gitInfoRefs",
              "gitUploadPack",
              "gitReceivePack",
            ].map((id) => [id, own]),
          ),
        };
      }
      const agent = known("agentId");
      if (!agent) return {};
      const pairing = (await act("requestDevicePairing", { agentId: agent })) as { requestId?: string };
      return pairing.requestId ? { operations: { approveDevice: { requestId: pairing.requestId } } } : {};
    },
  },
  // A fresh provider account whose feed quota (3 by default) does not run out during the checks.
  pipeagent: {
    async credentials(_url, act) {
      const keys = (await act("createAccount", { kind: "provider", max_feeds_allowed: 100_000 })) as {
        writeKey: string;
        readKey: string;
      };
      return { WriteKey: keys.writeKey, ReadKeyHeader: keys.readKey, ReadKeyBearer: keys.readKey };
    },
  },
};

export function sandboxTarget(): Target {
  return {
    name: "sandbox",
    stateful: true,
    async open(provider) {
      const name = provider as ProviderName;
      const driver = DRIVERS[name];
      if (!availableProviders().includes(name) || !driver) {
        throw new TargetSkip(`sandbox ${provider}: no sandbox for this provider yet`);
      }
      let sandbox: Awaited<ReturnType<typeof startSandbox>>;
      try {
        sandbox = await startSandbox(name);
      } catch (error) {
        throw new TargetError(`sandbox ${provider} failed to start: ${(error as Error).message}`);
      }
      const act: Act = (action, input) => sandbox.admin.act(action, input);
      const memo: Record<string, unknown> = {};
      let credentials = await driver.credentials(sandbox.url, act, memo);
      const session: StatefulSession = {
        baseUrl: sandbox.url,
        credential: (scheme) => credentials[scheme],
        verifiesCredentials: true,
        adminUrl: sandbox.url,
        close: () => sandbox.close(),
        async renew() {
          credentials = await driver.credentials(sandbox.url, act, memo);
        },
        async fixtures(known, stage) {
          const made = (await driver.fixtures?.(sandbox.url, act, credentials, known, stage, memo)) ?? {};
          if (memo.refreshToken && stage === "before")
            made.bodies = { ...made.bodies, refreshTokens: [{ refresh_token: memo.refreshToken }] };
          return made;
        },
      };
      return session;
    },
  };
}
