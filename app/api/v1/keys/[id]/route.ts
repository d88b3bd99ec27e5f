import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { getKeyOrThrow } from "@/lib/keys/queries";
import { updateKey } from "@/lib/keys/mutations";
import { updateKeySchema } from "@/lib/keys/schemas";

export const GET = managementHandler(async ({ params }) => jsonNoStore(await getKeyOrThrow(params.id)));

/** Changes a key's name, scopes, rate limit, expiry, external id or metadata. */
export const PATCH = managementHandler({ body: updateKeySchema }, async ({ params, body, actor, now }) =>
  jsonNoStore(await updateKey(params.id, body, { actor, now })),
);
