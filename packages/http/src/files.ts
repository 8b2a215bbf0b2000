/**
 * Node-only: private files that land whole or not at all. Every package that keeps credentials,
 * journals or state on disk writes through here: a temp file created with mode 0600 next to the
 * target, fsynced, then renamed (or linked, when an existing file must not be replaced) over it,
 * and the folder fsynced so a crash cannot bring the old entry back. Temp files that a killed
 * writer left behind are removed before the first write to a path.
 */
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export interface PrivateFileOptions {
  /** Replace an existing file (default true). With false an existing file stays as it is: `FileExistsError`. */
  overwrite?: boolean;
}

/** A private file could not be written; `path` names it, `code` is the system's error code. */
export class PrivateFileError extends Error {
  override name = "PrivateFileError";
  readonly path: string;
  readonly code: string | undefined;
  constructor(message: string, path: string, cause?: unknown) {
    super(message, { cause });
    this.path = path;
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** The file exists and `overwrite: false` was asked: nothing was written. */
export class FileExistsError extends PrivateFileError {
  override name = "FileExistsError";
}

const cleaned = new Set<string>();
let counter = 0;

/**
 * Writes `data` to `path` atomically with mode 0600, creating missing folders with mode 0700.
 * Synchronous, for writers that must finish before they answer (a sandbox saving its state).
 */
export function writePrivateFileSync(
  path: string,
  data: string | Uint8Array,
  options: PrivateFileOptions = {},
): void {
  const dir = dirname(path);
  attempt(path, "create the folder of", () => mkdirSync(dir, { recursive: true, mode: 0o700 }));
  if (!cleaned.has(path)) {
    removeStaleTemps(path);
    cleaned.add(path);
  }
  const tmp = `${path}.tmp-${process.pid}-${++counter}`;
  try {
    // "wx": always a new file, so the mode is ours and never an old file's.
    const fd = attempt(path, "write", () => openSync(tmp, "wx", 0o600));
    try {
      attempt(path, "write", () => {
        writeFileSync(fd, data);
        fsyncSync(fd);
      });
    } finally {
      closeSync(fd);
    }
    if (options.overwrite === false) {
      try {
        linkSync(tmp, path); // refuses to replace an existing file, atomically
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST")
          throw new FileExistsError(`${path} exists; pass { overwrite: true } to replace it`, path, error);
        throw new PrivateFileError(`cannot write ${path}: ${codeOf(error)}`, path, error);
      }
    } else {
      attempt(path, "write", () => renameSync(tmp, path));
    }
    syncDir(dir);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** `writePrivateFileSync` for async code (the work is a few small system calls). */
export async function writePrivateFile(
  path: string,
  data: string | Uint8Array,
  options: PrivateFileOptions = {},
): Promise<void> {
  writePrivateFileSync(path, data, options);
}

/**
 * Removes `<path>.tmp-<pid>…` files whose writer is gone: its process no longer runs, or it had
 * this process's pid (reused after a kill -9). Returns what it removed.
 */
export function removeStaleTemps(path: string): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp-`;
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed; // no folder, nothing left behind
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number.parseInt(entry.slice(prefix.length), 10);
    // This process's own temp files never outlive the (synchronous) write that made them.
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) continue;
    rmSync(join(dir, entry), { force: true });
    removed.push(entry);
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Makes a rename or link in `dir` durable. */
function syncDir(dir: string): void {
  if (process.platform === "win32") return; // folders cannot be opened for fsync there
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function attempt<T>(path: string, what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new PrivateFileError(`cannot ${what} ${path}: ${codeOf(error)}`, path, error);
  }
}

const codeOf = (error: unknown) =>
  (error as NodeJS.ErrnoException)?.code ?? (error instanceof Error ? error.message : String(error));
