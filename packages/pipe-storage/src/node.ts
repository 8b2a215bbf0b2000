/** Node-only: write the agent bundle `.env` (mode 0600, atomically, never over an existing file unless asked). */
import { randomBytes } from "node:crypto";
import { link, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { type AgentBundle, agentBundleEnv } from "./flows.js";

export class BundleExistsError extends Error {
  override name = "BundleExistsError";
}

export async function writeAgentBundle(
  path: string,
  bundle: AgentBundle,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(agentBundleEnv(bundle));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.overwrite) {
      await rename(tmp, path);
      await syncDir(dirname(path));
      return;
    }
    // link() refuses to replace an existing file: the no-clobber write is atomic too.
    await link(tmp, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EEXIST")
        throw new BundleExistsError(`${path} exists; pass { overwrite: true } to replace it`);
      throw error;
    });
    await syncDir(dirname(path));
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Makes a rename or link in `dir` durable: without it a crash can bring the old entry back. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === "win32") return; // directories cannot be opened for fsync there
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
