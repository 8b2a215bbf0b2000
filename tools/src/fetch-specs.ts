/**
 * `pnpm fetch-specs [provider…] [--save DIR] [--fail-on-drift]` downloads the specs the providers
 * publish (URLs in specs/<provider>/source.json) and prints, per provider, the operations and
 * fields that differ from the curated spec. It never writes to specs/: with `--save` the upstream
 * documents go to DIR for a person (or the spec-sync job) to read.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";
import { type Doc, operationFields, operations } from "./openapi-walk.js";
import { providers, repoRoot, specFile } from "./providers.js";

export interface SourceJson {
  provider: string;
  document?: string;
  upstream: { url: string; format: "yaml" | "json" } | null;
}

export interface Drift {
  provider: string;
  url: string;
  onlyUpstream: string[];
  onlyCurated: string[];
  /** Per operation present in both: fields only upstream (+), only curated (-), or typed differently (~). */
  fieldChanges: Map<string, string[]>;
}

export class FetchSpecError extends Error {
  override name = "FetchSpecError";
}

export async function readSource(provider: string, root = repoRoot): Promise<SourceJson> {
  const file = join(root, "specs", provider, "source.json");
  if (!existsSync(file)) return { provider, upstream: null };
  return JSON.parse(await readFile(file, "utf8")) as SourceJson;
}

/** Downloads and parses an upstream document; every failure is one FetchSpecError line. */
export async function fetchUpstream(
  url: string,
  format: "yaml" | "json",
  timeoutMs = 15_000,
): Promise<{ doc: Doc; text: string }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new FetchSpecError(`cannot fetch ${url}: ${reason}`);
  }
  if (!response.ok) throw new FetchSpecError(`cannot fetch ${url}: HTTP ${response.status}`);
  const text = await response.text();
  let doc: unknown;
  try {
    doc = format === "json" ? JSON.parse(text) : parse(text);
  } catch (error) {
    throw new FetchSpecError(
      `invalid document at ${url}: not ${format} (${(error as Error).message.split("\n")[0]})`,
    );
  }
  const record = doc as Doc | null;
  if (
    !record ||
    typeof record !== "object" ||
    typeof record.openapi !== "string" ||
    !record.openapi.startsWith("3.")
  ) {
    throw new FetchSpecError(`invalid document at ${url}: not an OpenAPI 3 document (no "openapi: 3.x")`);
  }
  if (!record.paths || typeof record.paths !== "object") {
    throw new FetchSpecError(`invalid document at ${url}: no paths object`);
  }
  return { doc: record, text };
}

/** Compares an upstream document with the curated one. */
export function compare(provider: string, url: string, curated: Doc, upstream: Doc): Drift {
  const ours = operations(curated);
  const theirs = operations(upstream);
  const drift: Drift = { provider, url, onlyUpstream: [], onlyCurated: [], fieldChanges: new Map() };
  for (const key of theirs.keys()) if (!ours.has(key)) drift.onlyUpstream.push(key);
  for (const key of ours.keys()) if (!theirs.has(key)) drift.onlyCurated.push(key);
  for (const [key, mine] of ours) {
    const other = theirs.get(key);
    if (!other) continue;
    const a = operationFields(curated, mine);
    const b = operationFields(upstream, other);
    const changes: string[] = [];
    for (const [field, type] of b) {
      const ourType = a.get(field);
      if (ourType === undefined) changes.push(`+ ${field}: ${type}`);
      else if (ourType !== type) changes.push(`~ ${field}: ${ourType} → ${type}`);
    }
    for (const [field, type] of a) if (!b.has(field)) changes.push(`- ${field}: ${type}`);
    if (changes.length) drift.fieldChanges.set(key, changes.sort());
  }
  drift.onlyUpstream.sort();
  drift.onlyCurated.sort();
  return drift;
}

export function formatDrift(drift: Drift): string {
  const lines = [`## ${drift.provider} (${drift.url})`];
  if (!drift.onlyUpstream.length && !drift.onlyCurated.length && !drift.fieldChanges.size) {
    lines.push("no differences");
    return lines.join("\n");
  }
  for (const key of drift.onlyUpstream) lines.push(`+ operation ${key} (upstream only)`);
  for (const key of drift.onlyCurated) lines.push(`- operation ${key} (curated only)`);
  for (const [key, changes] of drift.fieldChanges) {
    lines.push(`~ ${key}`);
    for (const change of changes) lines.push(`    ${change}`);
  }
  lines.push(`(+ only upstream, - only curated, ~ differs)`);
  return lines.join("\n");
}

export function hasDrift(drift: Drift): boolean {
  return drift.onlyUpstream.length > 0 || drift.onlyCurated.length > 0 || drift.fieldChanges.size > 0;
}

export interface RunOptions {
  root?: string;
  only?: string[];
  save?: string;
  log?: (line: string) => void;
  error?: (line: string) => void;
}

/** Returns 0 when every upstream was fetched and compared, 2 when any could not be. */
export async function run(options: RunOptions = {}): Promise<{ code: number; drifts: Drift[] }> {
  const root = options.root ?? repoRoot;
  const log = options.log ?? console.log;
  const error = options.error ?? console.error;
  const drifts: Drift[] = [];
  let failed = false;
  for (const provider of options.only?.length ? options.only : providers(root)) {
    const source = await readSource(provider, root);
    if (!source.upstream) {
      log(`## ${provider}\nno published spec (curated from the provider's documents only)`);
      continue;
    }
    try {
      const { doc, text } = await fetchUpstream(source.upstream.url, source.upstream.format);
      const curated = parse(await readFile(specFile(provider, root), "utf8")) as Doc;
      const drift = compare(provider, source.upstream.url, curated, doc);
      drifts.push(drift);
      log(formatDrift(drift));
      if (options.save) {
        await mkdir(options.save, { recursive: true });
        await writeFile(join(options.save, `${provider}.upstream.${source.upstream.format}`), text);
      }
    } catch (err) {
      if (!(err instanceof FetchSpecError)) throw err;
      failed = true;
      error(`${provider}: ${err.message}`);
    }
  }
  return { code: failed ? 2 : 0, drifts };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  const saveAt = argv.indexOf("--save");
  const save = saveAt >= 0 ? argv[saveAt + 1] : undefined;
  const only = argv.filter((arg, i) => !arg.startsWith("--") && (saveAt < 0 || i !== saveAt + 1));
  run({ only, ...(save ? { save } : {}) }).then(
    ({ code, drifts }) => {
      if (code === 0 && argv.includes("--fail-on-drift") && drifts.some(hasDrift)) process.exit(1);
      process.exit(code);
    },
    (err: unknown) => {
      console.error(`fetch-specs: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
