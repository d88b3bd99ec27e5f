import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";

// next-auth reads cookies() and headers(), which need the request storage
// that Next's server sets up, with the AsyncLocalStorage it installs before
// any of its modules load: hence the imports after this line.
(globalThis as Record<string, unknown>).AsyncLocalStorage = AsyncLocalStorage;
const { NextRequest } = await import("next/server");
const { workAsyncStorage } = await import("next/dist/server/app-render/work-async-storage.external.js");
const { workUnitAsyncStorage } = await import("next/dist/server/app-render/work-unit-async-storage.external.js");
const { createRequestStoreForAPI } = await import("next/dist/server/async-storage/request-store.js");
const { POST } = await import("../app/api/auth/[...nextauth]/route");

const URL_ = "http://localhost:3000/api/auth/callback/credentials";
const ctx = { params: Promise.resolve({ nextauth: ["callback", "credentials"] }) };

/** POSTs `body` to next-auth's handler as Next would call it, in a request scope. */
function post(body: BodyInit, headers: Record<string, string> = {}) {
  const req = new NextRequest(URL_, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
  const store = createRequestStoreForAPI(
    { headers: Object.fromEntries(req.headers) } as never,
    new URL(req.url) as never,
    undefined as never,
    undefined,
    undefined as never,
    undefined,
  );
  const work = { route: "/api/auth/[...nextauth]", forceStatic: false, dynamicShouldError: false } as never;
  return workAsyncStorage.run(work, () => workUnitAsyncStorage.run(store, () => POST(req, ctx)));
}

/** A body that streams `bytes` bytes in 1 KB chunks and declares no length. */
function streamed(bytes: number) {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      controller.enqueue(new Uint8Array(1024).fill(0x61));
      sent += 1024;
    },
  });
}

describe("next-auth's POST has a body limit (8 KB)", () => {
  it("a sign-in form of normal size reaches next-auth (its CSRF check answers, not the limit)", async () => {
    const response = await post("email=admin%40rekey.local&password=wrong&csrfToken=not-the-token");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toContain("/api/auth/signin?csrf=true");
  });

  it("a larger body is a 413 in the API's error shape, declared or streamed", async () => {
    const declared = await post(`email=a&password=${"x".repeat(9 * 1024)}`);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: { code: "payload_too_large", message: "The request body is at most 8 KB." } });

    const chunked = await post(streamed(1024 * 1024));
    expect(chunked.status).toBe(413);
    expect((await chunked.json()).error.code).toBe("payload_too_large");
  });
});
