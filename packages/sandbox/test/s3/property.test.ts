/** S3Gateway key scoping as a property: a key is accepted iff it is inside the scope after decoding. */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { S3KeyScope } from "../../src/s3/index.js";
import { admin, agent, bytesOf, client, gw, listAll, refusal, useGateway } from "./helpers.js";

useGateway();

describe("S3Gateway key scoping (property)", () => {
  it("accepts a key iff it is inside the scope after decoding, and round-trips accepted keys", async () => {
    await gw.createBucket("prop");
    const scoped: S3KeyScope = { ...agent, accessKeyId: "AKIAPROP", bucket: "prop" };
    gw.addKey(scoped);
    gw.addKey({ ...admin, accessKeyId: "AKIAPROPADMIN", bucket: "prop" });
    const s3 = client(scoped);
    const accepted = new Set<string>();
    let refused = 0;
    const fragment = fc.constantFrom(
      "agent-1/",
      "agent-1",
      "agent-2/",
      "/",
      "//",
      ".",
      "..",
      "./",
      "../",
      "/..",
      "%2e%2e",
      "%2E",
      "%2F",
      "a",
      "b.txt",
      "é",
      "日本",
      "😀",
      " ",
      "+",
      "~",
      "?",
      "#",
      "&",
      "=",
      ";",
      "*",
    );
    const key = fc
      .tuple(fc.boolean(), fc.array(fragment, { minLength: 1, maxLength: 6 }))
      .map(([inPrefix, parts]) => (inPrefix ? "agent-1/" : "") + parts.join(""));

    await fc.assert(
      fc.asyncProperty(key, fc.uint8Array({ maxLength: 256 }), async (Key, body) => {
        const inside = Key.startsWith("agent-1/") && !Key.split("/").some((s) => s === "." || s === "..");
        const put = s3.send(new PutObjectCommand({ Bucket: "prop", Key, Body: body }));
        if (!inside) {
          expect(await refusal(put)).toBe("AccessDenied");
          refused++;
          return;
        }
        await put;
        accepted.add(Key);
        expect((await bytesOf(s3, "prop", Key)).equals(Buffer.from(body))).toBe(true);
      }),
      { numRuns: 25 },
    );
    // Both outcomes were exercised (each run is 50/50 on the prefix alone).
    expect(accepted.size).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // The refused keys left nothing behind, under any name.
    const stored = await listAll(client({ ...admin, accessKeyId: "AKIAPROPADMIN" }), "prop", "");
    expect(stored.sort()).toEqual([...accepted].sort());
  });
});
