/** `topUp` takes its base URL and app key from PIPE_BASE_URL / PIPE_APP_KEY when they are not passed. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MissingCredentialError } from "@specyard/http";
import { MemoryJournal } from "@specyard/x402";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { topUp } from "../src/topup.js";

const policy = { maxPerPayment: 5_000_000n, budget: 5_000_000n, treasuryOwner: "treasury" };
const payer = { publicKey: { toBase58: () => "payer" } } as never;
const connection = {} as never;
let server: Server;
let base = "";
const seen: Array<string | undefined> = [];

beforeAll(async () => {
  // Answers every call 400, so the top-up stops at its first call having shown its credential.
  server = createServer((request, response) => {
    seen.push(request.headers.authorization);
    response.writeHead(400, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: "no" }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
afterEach(() => {
  delete process.env.PIPE_APP_KEY;
  delete process.env.PIPE_BASE_URL;
});

it("without an app key anywhere, names the option and the variable before sending anything", async () => {
  delete process.env.PIPE_APP_KEY;
  const error = await topUp(1_000_000n, { policy, payer, connection, journal: new MemoryJournal() }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MissingCredentialError);
  expect((error as Error).message).toMatch(/appKey/);
  expect((error as Error).message).toMatch(/PIPE_APP_KEY/);
  expect(seen).toEqual([]);
});

it("sends PIPE_APP_KEY to PIPE_BASE_URL, and keeps the key out of the error", async () => {
  process.env.PIPE_APP_KEY = "app-key-from-env";
  process.env.PIPE_BASE_URL = base;
  const error = await topUp(1_000_000n, { policy, payer, connection, journal: new MemoryJournal() }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect(seen).toEqual(["ApiKey app-key-from-env"]);
  expect(String((error as Error).message)).not.toContain("app-key-from-env");
});
