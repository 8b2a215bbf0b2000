import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The providers, named as their spec folders (and package folders) are. */
export function providers(root = repoRoot): string[] {
  const specs = join(root, "specs");
  if (!existsSync(specs)) return [];
  return readdirSync(specs, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(specs, entry.name, "openapi.yaml")))
    .map((entry) => entry.name)
    .sort();
}

export function specFile(provider: string, root = repoRoot): string {
  return join(root, "specs", provider, "openapi.yaml");
}

export function schemaFile(provider: string, root = repoRoot): string {
  return join(root, "packages", provider, "src", "generated", "schema.ts");
}

export function securityFile(provider: string, root = repoRoot): string {
  return join(root, "packages", provider, "src", "generated", "security.ts");
}

export function sandboxSpecFile(provider: string, root = repoRoot): string {
  return join(root, "packages", "sandbox", "src", "generated", "specs", `${provider}.ts`);
}
