import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import type { CreateOrganizationInput } from "@/lib/organizations/schemas";
import { createOrganization } from "@/lib/organizations/mutations";
import { listOrganizationsForApi } from "@/lib/organizations/queries";

/** Every organization with its contacts, time zone and policy. */
export const GET = managementHandler(async () => jsonNoStore({ organizations: await listOrganizationsForApi() }));

export const POST = managementHandler(async ({ readJson, actor, now }) => {
  const org = await createOrganization((await readJson()) as CreateOrganizationInput, actor, now);
  return jsonNoStore({ id: org.id, name: org.name, contactEmails: org.contactEmails, timeZone: org.timeZone, policyId: org.policyId }, 201);
});
