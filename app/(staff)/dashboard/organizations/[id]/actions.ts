"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { assignPolicySchema } from "@/lib/policies/schemas";
import { assignPolicy } from "@/lib/policies/mutations";
import { previewPolicyAssignment, type PolicyImpact } from "@/lib/policies/impact";

/** Puts an organization on a policy, or back on the default (admin only). */
export const assignPolicyAction = serverAction("policies:edit", assignPolicySchema, async (input, { actor, now }) => {
  await assignPolicy(input, { actor, now });
  revalidatePath(`/dashboard/organizations/${input.organizationId}`);
  return { message: input.policyId ? "Policy changed." : "The organization now follows the default policy." };
});

/** What a policy change would do to the organization's keys, before it is made (admin only; reads only). */
export const previewPolicyAssignmentAction = serverAction("policies:edit", assignPolicySchema, async (input, { now }) => {
  const impact: PolicyImpact = await previewPolicyAssignment(input.organizationId, input.policyId, now);
  return { message: "", data: impact };
});
