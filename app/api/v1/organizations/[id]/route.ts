import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { ValidationError } from "@/lib/errors";
import { updateOrganizationSchema } from "@/lib/organizations/schemas";
import { deleteOrganization, updateOrganization } from "@/lib/organizations/mutations";
import { getOrganizationForApi } from "@/lib/organizations/queries";

export const GET = managementHandler(async ({ params }) => jsonNoStore(await getOrganizationForApi(params.id)));

/** Changes an organization's name, contacts, time zone, policy, external id or metadata. */
export const PATCH = managementHandler({ body: updateOrganizationSchema }, async ({ params, body, actor, now }) =>
  jsonNoStore(await updateOrganization(params.id, body, { actor, now })),
);

/** Deletes an organization: 409 while it has keys in use, unless `?revokeKeys=true` revokes them in the same transaction. */
export const DELETE = managementHandler(async ({ params, request, actor, now }) => {
  const flag = new URL(request.url).searchParams.get("revokeKeys");
  if (flag !== null && flag !== "true" && flag !== "false") throw new ValidationError("revokeKeys: must be true or false", "revokeKeys");
  return jsonNoStore(await deleteOrganization(params.id, { revokeKeys: flag === "true" }, { actor, now }));
});
