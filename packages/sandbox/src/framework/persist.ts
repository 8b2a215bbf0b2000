import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { removeStaleTemps, writePrivateFileSync } from "@specyard/http/files";
import { parse, stringify } from "./json.js";

/**
 * State on disk: one JSON file per sandbox, replaced atomically (`writePrivateFileSync`: a temp
 * file created 0600, fsync, rename, fsync of the folder) before the response to the write that
 * changed it is sent. Folders it creates are 0700. Temp files a killed sandbox left behind are
 * removed on start.
 */
export class StateFile {
  readonly path: string;

  constructor(dataDir: string, name: string) {
    this.path = join(dataDir, `${name}.json`);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    removeStaleTemps(this.path);
  }

  load<T>(): T | undefined {
    if (!existsSync(this.path)) return undefined;
    return parse<T>(readFileSync(this.path, "utf8"));
  }

  save(value: unknown): void {
    writePrivateFileSync(this.path, stringify(value));
  }
}
