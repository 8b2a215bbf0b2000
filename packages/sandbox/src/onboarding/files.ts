/** The `.env` that `up` writes (through `writePrivateFileSync`: 0600, atomic). */
/** The first line of every `.env` `up` writes: how it knows a file it may replace. */
export const ENV_MARKER = "# Written by `specyard-sandbox up`: sandbox-only credentials for local clients.";

/** `KEY=value` lines; values with characters a shell or dotenv reader would mangle are quoted. */
export function envFileText(env: Record<string, string>): string {
  const lines = [ENV_MARKER, "# It is rewritten on every start; keep your own variables in another file."];
  for (const [name, value] of Object.entries(env)) {
    const plain = /^[A-Za-z0-9_./:@+,=-]*$/.test(value);
    lines.push(`${name}=${plain ? value : JSON.stringify(value)}`);
  }
  return `${lines.join("\n")}\n`;
}
