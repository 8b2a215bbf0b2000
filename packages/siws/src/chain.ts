/**
 * Solana networks as a sign-in message may name them: a cluster name (`mainnet`, `mainnet-beta`,
 * `devnet`, `testnet`, `localnet`), a genesis hash (or the first 32 characters of it, as CAIP-2
 * uses), or a CAIP-2 / Wallet Standard id (`solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp`,
 * `solana:mainnet`). All of them normalise to the cluster name.
 */
export type SolanaCluster = "mainnet" | "devnet" | "testnet" | "localnet";

export const SOLANA_CLUSTERS: readonly SolanaCluster[] = ["mainnet", "devnet", "testnet", "localnet"];

/** The CAIP-2 references (first 32 characters of the genesis hash) of the public clusters. */
export const SOLANA_GENESIS_REFERENCES: Readonly<Record<string, SolanaCluster>> = {
  "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp": "mainnet",
  EtWTRABZaYq6iMfeYKouRu166VU2xqa1: "devnet",
  "4uhcVJyU9pJkvQyS88uRDiswHXSDkY4x": "testnet",
};

const NAMES: Readonly<Record<string, SolanaCluster>> = {
  mainnet: "mainnet",
  "mainnet-beta": "mainnet",
  devnet: "devnet",
  testnet: "testnet",
  localnet: "localnet",
};

const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;

/** The cluster a chain id names, or `undefined` when it names none this package knows. */
export function normalizeChain(chainId: string): SolanaCluster | undefined {
  const id = chainId.startsWith("solana:") ? chainId.slice("solana:".length) : chainId;
  const named = NAMES[id.toLowerCase()];
  if (named) return named;
  if (!BASE58.test(id)) return undefined;
  if (id.length === 32) return SOLANA_GENESIS_REFERENCES[id];
  // A full genesis hash (32 bytes in base58: 43 or 44 characters) of a known cluster.
  if (id.length === 43 || id.length === 44) return SOLANA_GENESIS_REFERENCES[id.slice(0, 32)];
  return undefined;
}

/** True for origins on this machine (`localhost`, 127.0.0.0/8, `::1`): a sandbox or a local validator. */
export function isLoopbackOrigin(origin: string): boolean {
  const host = new URL(origin).hostname.replace(/^\[|\]$/g, "");
  return (
    host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host)
  );
}

/**
 * The clusters a sign-in to `origin` may name: those of the `chain` option (any spelling), else
 * mainnet — except on a loopback origin, where any known cluster is accepted (a sandbox or a local
 * validator picks its own). A `chain` option that names no cluster is a `TypeError`.
 */
export function expectedChains(
  origin: string,
  chain: string | readonly string[] | undefined,
): readonly SolanaCluster[] {
  if (chain === undefined) return isLoopbackOrigin(origin) ? SOLANA_CLUSTERS : ["mainnet"];
  const list = typeof chain === "string" ? [chain] : chain;
  if (list.length === 0) throw new TypeError("signIn: chain is an empty list");
  return list.map((each) => {
    const cluster = normalizeChain(each);
    if (!cluster)
      throw new TypeError(
        `signIn: chain ${JSON.stringify(each)} is not a Solana cluster name, genesis hash or CAIP-2 id`,
      );
    return cluster;
  });
}
