/** Node-only: a journal in a JSON file, replaced atomically, readable by its owner only. */
import { readFile } from "node:fs/promises";
import { writePrivateFile } from "@specyard/http/files";
import type { JournalEntry, RequestJournal, RequestRecord } from "./journal.js";

/** The file: `{version: 2, payments, requests}`. A version-1 file (payments keyed by intent) is read as such. */
interface JournalFile {
  version: 2;
  payments: Record<string, JournalEntry>;
  requests: Record<string, RequestRecord>;
}

export class FileJournal implements RequestJournal {
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  /** Reads after the writes already queued, so a read never sees the file from before a write it follows. */
  async #read(): Promise<JournalFile> {
    await this.#queue;
    return this.#load();
  }

  async #load(): Promise<JournalFile> {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(this.path, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        return { version: 2, payments: {}, requests: {} };
      throw error;
    }
    const file = doc as Partial<JournalFile>;
    if (file.version === 2 && file.payments && typeof file.payments === "object") {
      return { version: 2, payments: file.payments, requests: file.requests ?? {} };
    }
    return { version: 2, payments: doc as Record<string, JournalEntry>, requests: {} };
  }

  async get(intentId: string) {
    return (await this.#read()).payments[intentId];
  }

  async list() {
    return Object.values((await this.#read()).payments);
  }

  async getRequest(key: string) {
    return (await this.#read()).requests[key];
  }

  async listRequests() {
    return Object.values((await this.#read()).requests);
  }

  /** Writes are serialized; each one lands whole (`writePrivateFile`: temp file, fsync, rename) or not at all. */
  put(entry: JournalEntry): Promise<void> {
    return this.#write((file) => {
      file.payments[entry.intentId] = entry;
    });
  }

  putRequest(record: RequestRecord): Promise<void> {
    return this.#write((file) => {
      file.requests[record.key] = record;
    });
  }

  #write(change: (file: JournalFile) => void): Promise<void> {
    const write = this.#queue.then(async () => {
      const file = await this.#load();
      change(file);
      await writePrivateFile(this.path, JSON.stringify(file, null, 2));
    });
    this.#queue = write.catch(() => undefined);
    return write;
  }
}
