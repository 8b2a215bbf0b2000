/** Node-only: a journal in a JSON file, replaced atomically, readable by its owner only. */
import { readFile } from "node:fs/promises";
import { writePrivateFile } from "@specyard/http/files";
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

  /** Writes are serialized; each one lands whole (`writePrivateFile`: temp file, fsync, rename) or not at all. */
  put(entry: JournalEntry): Promise<void> {
    const write = this.#queue.then(async () => {
      const all = await this.#read();
      all[entry.intentId] = entry;
      await writePrivateFile(this.path, JSON.stringify(all, null, 2));
    });
    this.#queue = write.catch(() => undefined);
    return write;
  }
}
