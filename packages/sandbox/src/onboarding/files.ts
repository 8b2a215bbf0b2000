/** Private files for onboarding: the `.env`, the demo keypair, the saved credentials. */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from "node:fs";

export class FileExistsError extends Error {
  override name = "FileExistsError";
}

/**
 * Writes `text` to `path` atomically, created with mode 0600 (a temp file opened with that mode,
 * then renamed or linked into place: the file never exists with another mode or half written).
 * Without `overwrite` an existing file is kept and `FileExistsError` thrown.
 */
export function writePrivateFile(path: string, text: string, options: { overwrite?: boolean } = {}): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.overwrite) {
      renameSync(tmp, path);
      return;
    }
    try {
      // link() refuses to replace an existing file: the no-clobber write is atomic too.
      linkSync(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new FileExistsError(`${path} exists`);
      throw error;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

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
