import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, paths };
export type RekeyClient = Client<paths>;

export interface RekeyClientOptions {
  /** Where rekey runs, e.g. https://rekey.example.com (no trailing path). */
  baseUrl: string;
  /** A management token (rkm_mgmt_…) or REKEY_BOOTSTRAP_TOKEN: sent as a bearer token on every request. */
  token: string;
  /** Another fetch (tests, proxies). */
  fetch?: typeof fetch;
}

/**
 * A typed client for rekey's management API, generated from its OpenAPI
 * document (openapi-fetch over the types in ./schema.ts):
 *
 *   const rekey = createRekeyClient({ baseUrl, token });
 *   const { data, error } = await rekey.GET("/api/v1/keys", { params: { query: { status: "active" } } });
 *
 * Every answer is `{ data }` or `{ error }` (rekey's `{ error: { code, message } }`), never a throw for an HTTP status.
 */
export function createRekeyClient(options: RekeyClientOptions): RekeyClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ""), fetch: options.fetch });
  client.use({
    onRequest({ request }) {
      request.headers.set("authorization", `Bearer ${options.token}`);
      return request;
    },
  });
  return client;
}
