import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { getKeyOrThrow } from "@/lib/keys/queries";
import { updateKey } from "@/lib/keys/mutations";
import type { UpdateKeyInput } from "@/lib/keys/schemas";

export const GET = managementHandler(async ({ params }) => jsonNoStore(await getKeyOrThrow(params.id)));

/** Changes a key's name, scopes, rate limit, expiry, external id or metadata. */
export const PATCH = managementHandler(async ({ params, readJson, actor, now }) =>
  jsonNoStore(await updateKey(params.id, (await readJson()) as UpdateKeyInput, actor, now)),
);
