import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { parse, stringify } from "./json.js";

/**
 * State on disk: one JSON file per sandbox, replaced atomically (write a temp file, fsync, rename)
 * before the response to the write that changed it is sent. Files are private (0600); folders the
 * framework creates are too (0700). Temp files a killed sandbox left behind are removed on start.
 */
export class StateFile {
  readonly path: string;
  readonly #tmp: string;

  constructor(dataDir: string, name: string) {
    this.path = join(dataDir, `${name}.json`);
    this.#tmp = `${this.path}.tmp-${process.pid}`;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    removeStaleTemps(dirname(this.path), basename(this.path));
  }

  load<T>(): T | undefined {
    if (!existsSync(this.path)) return undefined;
    return parse<T>(readFileSync(this.path, "utf8"));
  }

  save(value: unknown): void {
    // Created here with 0600 ("wx"), never reused: an old file would keep whatever mode it had.
    rmSync(this.#tmp, { force: true });
    const fd = openSync(this.#tmp, "wx", 0o600);
    try {
      writeSync(fd, stringify(value));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.#tmp, this.path);
  }
}

/**
 * Removes `<file>.tmp-<pid>` files whose writer is gone: its process no longer runs, or it had this
 * process's pid (a pid reused after a kill -9; this process has not written yet). A live writer's
 * temp file is left alone.
 */
function removeStaleTemps(dir: string, file: string): void {
  const prefix = `${file}.tmp-`;
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) continue;
    rmSync(join(dir, entry), { force: true });
  }
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
