import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { createOrganizationSchema } from "@/lib/organizations/schemas";
import { createOrganization } from "@/lib/organizations/mutations";
import { listOrganizationsForApi } from "@/lib/organizations/queries";

/** Every organization with its contacts, time zone, policy, external id and metadata. */
export const GET = managementHandler(async () => jsonNoStore({ organizations: await listOrganizationsForApi() }));

export const POST = managementHandler({ body: createOrganizationSchema }, async ({ body, actor, now }) =>
  jsonNoStore(await createOrganization(body, { actor, now }), 201),
);
