/** Node-only: write the agent bundle `.env` (mode 0600, atomically, never over an existing file unless asked). */
import { FileExistsError, writePrivateFile } from "@specyard/http/files";
import { type AgentBundle, agentBundleEnv } from "./flows.js";

/** The bundle file exists and `overwrite` was not asked: nothing was written. */
export class BundleExistsError extends FileExistsError {
  override name = "BundleExistsError";
}

export async function writeAgentBundle(
  path: string,
  bundle: AgentBundle,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  try {
    await writePrivateFile(path, agentBundleEnv(bundle), { overwrite: options.overwrite ?? false });
  } catch (error) {
    if (error instanceof FileExistsError && !(error instanceof BundleExistsError))
      throw new BundleExistsError(`${path} exists; pass { overwrite: true } to replace it`, path, error);
    throw error;
  }
}
