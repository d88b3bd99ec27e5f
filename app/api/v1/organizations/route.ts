import { managementHandler, readJsonObject, jsonNoStore } from "@/lib/http/api-handler";
import type { CreateOrganizationInput } from "@/lib/organizations/schemas";
import { createOrganization } from "@/lib/organizations/mutations";

export const POST = managementHandler(async ({ request, actor, now }) => {
  const org = await createOrganization((await readJsonObject(request)) as CreateOrganizationInput, actor, now);
  return jsonNoStore({ id: org.id, name: org.name, contactEmails: org.contactEmails, timeZone: org.timeZone, policyId: org.policyId }, 201);
});
