/**
 * Every entry point of every published package (read from its exports map), installed from its
 * tarball: loaded with require() from a .cjs file and with import() from a .mjs file, its runtime
 * exports compared with what its published types declare, and one real call made with it against
 * the sandboxes of the installed @specyard/sandbox.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultOf, run } from "./helpers/run.js";
import type { WorldConfig } from "./helpers/types.js";
import { clientEnv, consumer, expectedObservations, startWorld, type World } from "./helpers/world.js";

const project = consumer();

interface Entry {
  name: string;
  subpath: string;
  specifier: string;
}
type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
interface EntryResult extends Entry {
  loaded: Outcome;
  exports?: Record<string, string>;
  call?: Outcome;
  fromEnv?: Outcome;
}
interface TypeResult extends Entry {
  condition: "import" | "require";
  exports?: Record<string, "function" | "value">;
  error?: string;
}

const entries: Entry[] = project.packages.flatMap((pkg) =>
  Object.keys(pkg.exports)
    .filter((subpath) => !subpath.endsWith(".json"))
    .map((subpath) => ({
      name: pkg.name,
      subpath,
      specifier: subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
    })),
);

const clients = new Set(Object.keys(expectedObservations({} as WorldConfig)));

/** What each entry's real call must have observed (see fixtures/entries/checks.cjs). */
function expectations(config: WorldConfig): Record<string, (observed: unknown) => void> {
  const observations = expectedObservations(config);
  const out: Record<string, (observed: unknown) => void> = {
    "@specyard/http .": (o) =>
      expect(o).toEqual({
        feeds: expect.arrayContaining([config.pipeagent.feedPath]),
        denied: "AuthenticationError",
      }),
    "@specyard/http ./files": (o) =>
      expect(o).toEqual({ text: '{"v":1}', mode: "600", refused: "FileExistsError", left: ["state.json"] }),
    "@specyard/poll .": (o) => expect(o).toEqual({ value: 3, attempts: 3 }),
    "@specyard/siws .": (o) => expect(o).toBe(config.pipe.wallet),
    "@specyard/siws ./node": (o) => expect(o).toBe(config.pipe.wallet),
    "@specyard/x402 .": (o) => expect(o).toEqual({ status: 200, intent: "credited", credited: 1_000_000 }),
    "@specyard/x402 ./node": (o) => expect(o).toEqual({ intentId: "intent-consumer", mode: "600" }),
    "@specyard/x402 ./v2": (o) =>
      expect(o).toEqual({ status: 200, refused: "PaymentRefusedError x402Version value" }),
    "@specyard/pipe-storage ./node": (o) =>
      expect(o).toEqual({ mode: "600", hasKey: true, refused: "BundleExistsError" }),
    "@specyard/pipe-storage ./s3": (o) => expect(o).toBe("hello from a consumer"),
    "@specyard/pipe-storage ./topup": (o) =>
      expect(o).toEqual({ status: "credited", creditedRaw: "2000000" }),
    "@specyard/atelier ./node": (o) =>
      expect(o).toEqual({ registered: [true, false], sameAgent: true, mode: "600" }),
    "@specyard/sandbox .": (o) => expect(o).toEqual({ url: "127.0.0.1", status: 200, anonymous: 401 }),
  };
  for (const [name, check] of Object.entries(observations)) {
    out[`${name} .`] = (o) => expect(check(o), `observed ${JSON.stringify(o)}`).toBe(true);
  }
  return out;
}

let world: World;
let types: TypeResult[] = [];
const runs: Record<"require" | "import", EntryResult[]> = { require: [], import: [] };

beforeAll(async () => {
  world = await startWorld(project);
  const entriesFile = join(project.dir, "entries.json");
  writeFileSync(entriesFile, JSON.stringify(entries));
  const inputFile = join(project.dir, "entries-input.json");
  writeFileSync(inputFile, JSON.stringify({ config: world.config, entries }));
  const env = clientEnv(world.config);
  const typeRun = run(process.execPath, ["fixtures/entries/type-exports.cjs", entriesFile], {
    cwd: project.dir,
  });
  // One after the other: both pay into the same Pipe account, which has one open intent at a time.
  runs.require = resultOf(
    "fixtures/entries/run.cjs",
    await run(process.execPath, ["fixtures/entries/run.cjs", inputFile], { cwd: project.dir, env }),
  );
  runs.import = resultOf(
    "fixtures/entries/run.mjs",
    await run(process.execPath, ["fixtures/entries/run.mjs", inputFile], { cwd: project.dir, env }),
  );
  types = resultOf("fixtures/entries/type-exports.cjs", await typeRun);
});
afterAll(() => world?.close());

it("finds the entry points of every published package", () => {
  expect(project.packages.length).toBeGreaterThan(0);
  for (const pkg of project.packages)
    expect(
      entries.some((e) => e.name === pkg.name),
      pkg.name,
    ).toBe(true);
});

describe.each(entries)("$specifier", (entry) => {
  const key = `${entry.name} ${entry.subpath}`;
  const resultFor = (mode: "require" | "import") => {
    const found = runs[mode].find((r) => r.name === entry.name && r.subpath === entry.subpath);
    if (!found) throw new Error(`the ${mode} run reported nothing for ${key}`);
    return found;
  };
  const loaded = (mode: "require" | "import") => {
    const result = resultFor(mode);
    if (!result.loaded.ok) throw new Error(`${mode}("${entry.specifier}") failed: ${result.loaded.error}`);
    return result;
  };

  describe.each(["require", "import"] as const)("%s()", (mode) => {
    it("loads, and exports every value its types declare, functions as functions", () => {
      const result = loaded(mode);
      const typed = types.find((t) => t.specifier === entry.specifier && t.condition === mode);
      const declared = typed?.exports;
      if (!declared)
        throw new Error(`the ${mode} types of ${entry.specifier} do not resolve: ${typed?.error}`);
      const runtime = result.exports ?? {};
      const wrong = Object.entries(declared)
        .filter(([name, kind]) =>
          kind === "function" ? runtime[name] !== "function" : runtime[name] === undefined,
        )
        .map(([name, kind]) => `${name}: typed as ${kind}, is ${runtime[name] ?? "missing"}`);
      const untyped = Object.keys(runtime).filter((name) => !(name in declared));
      expect(wrong, "typed exports that are wrong at runtime").toEqual([]);
      expect(untyped, "runtime exports the types do not declare").toEqual([]);
      expect(Object.values(runtime).filter((kind) => kind === "function").length).toBeGreaterThan(0);
    });

    it("makes one real call", () => {
      const check = expectations(world.config)[key];
      if (!check) throw new Error(`no expectation written for ${key}: add one to test/entries.test.ts`);
      const call = loaded(mode).call;
      if (!call?.ok) throw new Error(call?.error ?? "no call made");
      check(call.value);
    });

    if (clients.has(entry.name) && entry.subpath === ".") {
      it("created without options, reads its base URL and credentials from the environment", () => {
        const call = loaded(mode).fromEnv;
        if (!call?.ok) throw new Error(call?.error ?? "no call made");
        expectations(world.config)[key]?.(call.value);
      });

      it("re-exports fetchTransport and undiciTransport", () => {
        const runtime = loaded(mode).exports ?? {};
        expect(runtime.fetchTransport ?? "missing", "fetchTransport").toBe("function");
        expect(runtime.undiciTransport ?? "missing", "undiciTransport").toBe("function");
      });
    }
  });

  it("exports the same names from require() and import()", () => {
    expect(Object.keys(loaded("require").exports ?? {}).sort()).toEqual(
      Object.keys(loaded("import").exports ?? {}).sort(),
    );
  });
});
