import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { getKeyOrThrow } from "@/lib/keys/queries";

export const GET = managementHandler(async ({ params }) => jsonNoStore(await getKeyOrThrow(params.id)));
