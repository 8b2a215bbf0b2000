/** Node-only: a journal in a JSON file, replaced atomically, readable by its owner only. */
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { JournalEntry, PaymentJournal } from "./journal.js";

export class FileJournal implements PaymentJournal {
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  async #read(): Promise<Record<string, JournalEntry>> {
    try {
      return JSON.parse(await readFile(this.path, "utf8")) as Record<string, JournalEntry>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw error;
    }
  }

  async get(intentId: string) {
    return (await this.#read())[intentId];
  }

  async list() {
    return Object.values(await this.#read());
  }

  /** Writes are serialized; each one lands whole (temp file, fsync, rename) or not at all. */
  put(entry: JournalEntry): Promise<void> {
    const write = this.#queue.then(async () => {
      const all = await this.#read();
      all[entry.intentId] = entry;
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.tmp-${process.pid}`;
      const handle = await open(tmp, "w", 0o600);
      try {
        await handle.writeFile(JSON.stringify(all, null, 2));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
      await syncDir(dirname(this.path));
    });
    this.#queue = write.catch(() => undefined);
    return write;
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
