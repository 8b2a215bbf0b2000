/** Private files: atomic, 0600 in 0700 folders, no clobber on request, stale temps cleared, clear errors. */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  FileExistsError,
  PrivateFileError,
  removeStaleTemps,
  writePrivateFile,
  writePrivateFileSync,
} from "../src/files.js";

const fresh = () => mkdtempSync(join(tmpdir(), "specyard-files-"));
const mode = (path: string) => statSync(path).mode & 0o777;

describe("writePrivateFile", () => {
  it("creates missing folders 0700 and the file 0600, and replaces it whole", async () => {
    const root = fresh();
    const path = join(root, "a", "b", "journal.json");
    await writePrivateFile(path, '{"v":1}');
    expect(readFileSync(path, "utf8")).toBe('{"v":1}');
    expect(mode(path)).toBe(0o600);
    expect(mode(join(root, "a"))).toBe(0o700);
    expect(mode(join(root, "a", "b"))).toBe(0o700);
    writePrivateFileSync(path, new TextEncoder().encode('{"v":2}'));
    expect(readFileSync(path, "utf8")).toBe('{"v":2}');
    expect(readdirSync(join(root, "a", "b"))).toEqual(["journal.json"]); // no temp left
  });

  it("never keeps an existing file's looser mode: the new file is 0600", async () => {
    const path = join(fresh(), "creds.json");
    writeFileSync(path, "old");
    chmodSync(path, 0o644);
    await writePrivateFile(path, "new");
    expect(mode(path)).toBe(0o600);
  });

  it("with overwrite: false, an existing file is a FileExistsError and stays untouched", async () => {
    const path = join(fresh(), "bundle.env");
    await writePrivateFile(path, "first", { overwrite: false });
    const error = await writePrivateFile(path, "second", { overwrite: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileExistsError);
    expect((error as FileExistsError).path).toBe(path);
    expect(readFileSync(path, "utf8")).toBe("first");
    expect(readdirSync(join(path, ".."))).toEqual(["bundle.env"]);
  });

  it("names the path and the system's code when it cannot write", async () => {
    const root = fresh();
    writeFileSync(join(root, "file"), "x");
    const error = await writePrivateFile(join(root, "file", "below.json"), "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrivateFileError);
    expect((error as PrivateFileError).message).toContain(join(root, "file", "below.json"));
    expect((error as PrivateFileError).code).toBe("EEXIST");
  });

  it("removes the temp files of dead writers before its first write, and keeps live writers' ones", async () => {
    const root = fresh();
    const path = join(root, "state.json");
    // A writer killed mid-write: its pid is gone.
    const dead = spawnSync(process.execPath, [
      "-e",
      "process.stdout.write(String(process.pid))",
    ]).stdout.toString();
    writeFileSync(`${path}.tmp-${dead}`, "half");
    writeFileSync(`${path}.tmp-${dead}-3`, "half");
    // A writer still running (this test's parent process) keeps its temp file.
    writeFileSync(`${path}.tmp-${process.ppid}-1`, "in flight");
    writeFileSync(join(root, "other.json.tmp-1"), "someone else's");
    await writePrivateFile(path, "ok");
    expect(readdirSync(root).sort()).toEqual([
      "other.json.tmp-1",
      "state.json",
      `state.json.tmp-${process.ppid}-1`,
    ]);
    expect(removeStaleTemps(path)).toEqual([]);
    expect(existsSync(path)).toBe(true);
  });
});
