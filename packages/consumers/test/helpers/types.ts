/** What the global setup hands every test file. */
export interface PackageInfo {
  name: string;
  /** The package's directory in the workspace. */
  dir: string;
  /** The `exports` map as published. */
  exports: Record<string, unknown>;
  /** bin name → file. */
  bins: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

export interface ConsumerProject {
  /** The npm project outside the workspace where every tarball is installed. */
  dir: string;
  packages: PackageInfo[];
  tarballs: string[];
}

/** Where each client's sandbox is and the credentials it handed out. */
export interface WorldConfig {
  pipe: {
    baseUrl: string;
    appKey: string;
    wallet: string;
    /** The wallet's 64-byte ed25519 secret key (seed + public key), base64. */
    secretKey: string;
    rpcUrl: string;
    usdcMint: string;
    treasuryOwner: string;
  };
  pipeagent: { baseUrl: string; writeKey: string; readKey: string; feedPath: string };
  pipedai: { baseUrl: string; apiKey: string; workspaceId: string };
  atelier: { baseUrl: string; apiKey: string; agentId: string };
  pinata: { baseUrl: string; jwt: string; secretName: string };
}

/** One observation of a script: a value to compare, or the error it met. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
