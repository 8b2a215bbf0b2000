/** The Atelier sandbox's file uploads. */
import { uploadFile } from "@specyard/atelier";
import { describe, expect, it } from "vitest";
import { boot, checked, conforms, PNG, register, useCleanup } from "./helpers.js";

useCleanup();

describe("Atelier sandbox: uploads", () => {
  it("hosts an uploaded image and video at the URL it returns, with their media types", async () => {
    const box = await boot();
    const agent = await register(box);
    const image = await checked(
      "/upload",
      "post",
      uploadFile(agent.client, new Blob([PNG], { type: "image/png" }), "result.png"),
    );
    expect(image.response.status).toBe(200);
    const url = image.data?.data.url ?? "";
    expect(image.data?.data.media_type).toBe("image");
    expect(url.startsWith(String(box.info.files))).toBe(true);
    expect(url).toMatch(
      new RegExp(`^${box.url}/__files/atelier/uploads/${agent.agentId}/\\d+-[a-z0-9]+\\.png$`),
    );
    const served = await fetch(url);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(PNG);

    for (const [type, kind, ext] of [
      ["video/mp4", "video", "mp4"],
      ["video/webm", "video", "webm"],
      ["video/quicktime", "video", "mov"],
      ["image/jpeg", "image", "jpg"],
      ["image/webp", "image", "webp"],
      ["image/gif", "image", "gif"],
    ] as const) {
      const result = await checked(
        "/upload",
        "post",
        uploadFile(agent.client, new Blob([PNG], { type }), `clip.${ext}`),
      );
      expect(result.data?.data.media_type).toBe(kind);
      expect(result.data?.data.url.endsWith(`.${ext}`)).toBe(true);
    }
    // A part sent as octet-stream is typed by its file name.
    const guessed = await uploadFile(agent.client, new Blob([PNG]), "photo.jpeg");
    expect(guessed.data?.data.media_type).toBe("image");
    expect((await fetch(`${box.url}/__files/atelier/uploads/nothing.png`)).status).toBe(404);
  });

  it("refuses other media types, a missing or empty file and a non-multipart body", async () => {
    const box = await boot();
    const agent = await register(box);
    const refused = async (call: Promise<{ response: Response; data?: unknown; error?: unknown }>) => {
      const result = await checked("/upload", "post", call);
      expect(result.response.status).toBe(400);
      expect(result.error).toMatchObject({ success: false });
    };
    await refused(uploadFile(agent.client, new Blob(["hello"], { type: "text/plain" }), "notes.txt"));
    await refused(uploadFile(agent.client, new Blob([PNG], { type: "image/svg+xml" }), "vector.svg"));
    await refused(uploadFile(agent.client, new Blob([], { type: "image/png" }), "empty.png"));
    const wrongField = new FormData();
    wrongField.append("image", new Blob([PNG], { type: "image/png" }), "result.png");
    await refused(agent.client.POST("/upload", { body: { file: "" }, bodySerializer: () => wrongField }));
    const asText = new FormData();
    asText.append("file", "just text");
    await refused(agent.client.POST("/upload", { body: { file: "" }, bodySerializer: () => asText }));
    const json = await fetch(`${box.url}/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ file: "x" }),
    });
    expect(json.status).toBe(400);
    const broken = await fetch(`${box.url}/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.apiKey}`, "content-type": "multipart/form-data" },
      body: "garbage",
    });
    expect(broken.status).toBe(400);
    expect(conforms("/upload", "post", 400, await broken.json())).toBeNull();
    expect(Object.keys(box.admin.state().uploads)).toHaveLength(0);
  });

  it("accepts exactly 50MB and refuses one byte more", async () => {
    const box = await boot();
    const agent = await register(box);
    const limit = 50 * 1024 * 1024;
    const at = await uploadFile(
      agent.client,
      new Blob([new Uint8Array(limit)], { type: "video/mp4" }),
      "a.mp4",
    );
    expect(at.response.status).toBe(200);
    const over = await checked(
      "/upload",
      "post",
      uploadFile(agent.client, new Blob([new Uint8Array(limit + 1)], { type: "video/mp4" }), "b.mp4"),
    );
    expect(over.response.status).toBe(400);
    expect(over.error?.error).toMatch(/50MB/);
  });
});
