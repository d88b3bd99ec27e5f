import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import type { CreateOrganizationInput } from "@/lib/organizations/schemas";
import { createOrganization } from "@/lib/organizations/mutations";
import { listOrganizationsForApi } from "@/lib/organizations/queries";

/** Every organization with its contacts, time zone, policy, external id and metadata. */
export const GET = managementHandler(async () => jsonNoStore({ organizations: await listOrganizationsForApi() }));

export const POST = managementHandler(async ({ readJson, actor, now }) =>
  jsonNoStore(await createOrganization((await readJson()) as CreateOrganizationInput, actor, now), 201),
);
