import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root: the nearest folder above this file holding pnpm-workspace.yaml. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("specyard testkit: no pnpm-workspace.yaml above this file");
    dir = parent;
  }
  return dir;
})();

/** Path of a provider's curated spec. */
export function specPath(provider: string): string {
  return join(repoRoot, "specs", provider, "openapi.yaml");
}
