/**
 * Random invalid requests for every Pinata Agents operation: valid bodies mutated (fields dropped,
 * retyped, junk added), junk query parameters, odd ids, random credentials in every transport,
 * and both hosts. None may get a 5xx; every answer is a status the spec documents for the
 * operation, with a JSON body matching its schema, and no answer echoes the gateway token.
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { pinataAgents } from "../../src/providers/pinata-agents/index.js";
import {
  bodyFor,
  callerFor,
  conforms,
  credentials,
  fx,
  host,
  OPERATIONS,
  paramValue,
  queryFor,
  refreshFixture,
  sandbox,
  send,
  tokenOf,
  useSandbox,
} from "./property-helpers.js";

useSandbox();

describe("Pinata Agents sandbox: random invalid requests", () => {
  it("covers all 80 operations of the spec, each with a handler", () => {
    expect(OPERATIONS).toHaveLength(80);
    for (const op of OPERATIONS)
      expect(pinataAgents.handlers[op.operationId], op.operationId).toBeTypeOf("function");
  });

  for (const op of OPERATIONS) {
    it(`${op.operationId}: never a 5xx, always a documented status and body`, async () => {
      const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
      await refreshFixture(); // what earlier operations deleted or rotated is back
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(...names.map(paramValue)),
          queryFor(op.query),
          bodyFor(op.operationId, op.mediaTypes),
          callerFor(op.security),
          host,
          fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
          async (values, pairs, payload, who, where, junk) => {
            if (!sandbox.admin.state().agents[fx.agentId]) await refreshFixture();
            let path = op.path;
            names.forEach((name, i) => {
              path = path.replace(`{${name}}`, values[i] as string);
            });
            const auth = await credentials(who, junk);
            const search = [
              ...pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
              ...(auth.query ? [auth.query] : []),
            ].join("&");
            const hostHeader =
              where === "management"
                ? new URL(sandbox.url).host
                : `${where === "own agent host" ? fx.agentId : fx.otherAgentId}.agents.localhost`;
            const headers: Record<string, string> = { ...auth.headers };
            const hasBody = payload.bytes !== undefined && op.method !== "GET";
            if (payload.type && op.method !== "GET") headers["content-type"] = payload.type;
            const answer = await send(
              op.method,
              hostHeader,
              `${path}${search ? `?${search}` : ""}`,
              headers,
              hasBody ? payload.bytes : undefined,
            );

            expect(answer.status, answer.text).toBeLessThan(500);
            expect(op.statuses, `${answer.status} ${answer.text}`).toContain(String(answer.status));
            const git = op.operationId.startsWith("git") && answer.status === 200;
            if (git)
              expect(answer.text === "" || /^application\/x-git-/.test(answer.type), answer.type).toBe(true);
            else {
              expect(answer.type, answer.text).toMatch(/^application\/json/);
              expect(
                conforms(op.path, op.method, answer.status, JSON.parse(answer.text)),
                answer.text,
              ).toBeNull();
            }
            // Agents carry their own token by design; an error never does.
            if (answer.status >= 400)
              for (const agentId of [fx.agentId, fx.otherAgentId])
                expect(answer.text.includes(tokenOf(agentId))).toBe(false);
            // Keep the rate-limit windows open: the property is about validation, not the limits.
            sandbox.admin.clock.advance(61_000);
          },
        ),
        { numRuns: 80 },
      );
    });
  }
});
