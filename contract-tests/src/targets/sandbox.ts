/**
 * The project's own stateful sandboxes as a target: each provider's sandbox is started on a free
 * loopback port, and real credentials are obtained the way a user would (a SIWS sign-in for Pipe,
 * the seeded keys for PipeAgent), so `ignored_auth` also tries wrong ones.
 */
import { availableProviders, type ProviderName, startSandbox } from "@specyard/sandbox";
import { secretKeySigner, signIn } from "@specyard/siws";
import nacl from "tweetnacl";
import { type Target, TargetError, TargetSkip } from "./target.js";

type Credentials = Record<string, string>;

/** How to get each provider's credentials from a fresh sandbox, by security scheme name. */
const CREDENTIALS: Partial<
  Record<ProviderName, (url: string, act: (action: string) => Promise<unknown>) => Promise<Credentials>>
> = {
  "pipe-storage": async (url) => {
    const tokens = await signIn({ signer: secretKeySigner(nacl.sign.keyPair().secretKey), origin: url });
    const me = (await (
      await fetch(`${url}/user/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })
    ).json()) as {
      user_app_key: string;
    };
    return { bearerAuth: tokens.accessToken, csrfToken: tokens.csrfToken ?? "", appKey: me.user_app_key };
  },
  atelier: async (url) => {
    const answer = await fetch(`${url}/agents/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "Contract Agent",
        description: "Registered by the contract suite",
        endpoint_url: "https://agent.example.com",
        capabilities: ["image_gen"],
      }),
    });
    const body = (await answer.json()) as { data?: { api_key?: string } };
    if (!body.data?.api_key) throw new Error(`atelier registration answered ${answer.status}`);
    return { bearerAuth: body.data.api_key };
  },
  pipedai: async (_url, act) => {
    const made = (await act("credentials")) as Record<string, string>;
    return {
      authTokenCookie: made.authTokenCookie ?? "",
      pwkApiKey: made.pwkApiKey ?? "",
      wktWorkerToken: made.wktWorkerToken ?? "",
    };
  },
  "pinata-agents": async (_url, act) => (await act("credentials")) as Credentials,
  pipeagent: async (_url, act) => {
    const keys = (await act("keys")) as { writeKey: string; readKey: string };
    return { WriteKey: keys.writeKey, ReadKeyHeader: keys.readKey, ReadKeyBearer: keys.readKey };
  },
};

export function sandboxTarget(): Target {
  return {
    name: "sandbox",
    stateful: true,
    async open(provider) {
      const name = provider as ProviderName;
      if (!availableProviders().includes(name) || !CREDENTIALS[name]) {
        throw new TargetSkip(`sandbox ${provider}: no sandbox for this provider yet`);
      }
      let sandbox: Awaited<ReturnType<typeof startSandbox>>;
      try {
        sandbox = await startSandbox(name);
      } catch (error) {
        throw new TargetError(`sandbox ${provider} failed to start: ${(error as Error).message}`);
      }
      const credentials = await CREDENTIALS[name]?.(sandbox.url, (action) => sandbox.admin.act(action));
      return {
        baseUrl: sandbox.url,
        credential: (scheme) => credentials?.[scheme],
        verifiesCredentials: true,
        adminUrl: sandbox.url,
        close: () => sandbox.close(),
      };
    },
  };
}
