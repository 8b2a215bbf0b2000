import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { parse, stringify } from "./json.js";

/**
 * State on disk: one JSON file per sandbox, replaced atomically (write a temp file, fsync, rename)
 * before the response to the write that changed it is sent.
 */
export class StateFile {
  readonly path: string;

  constructor(dataDir: string, name: string) {
    this.path = join(dataDir, `${name}.json`);
    mkdirSync(dirname(this.path), { recursive: true });
  }

  load<T>(): T | undefined {
    if (!existsSync(this.path)) return undefined;
    return parse<T>(readFileSync(this.path, "utf8"));
  }

  save(value: unknown): void {
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, stringify(value), { mode: 0o600 });
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
