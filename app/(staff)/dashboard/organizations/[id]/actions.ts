"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { assignPolicySchema } from "@/lib/policies/schemas";
import { assignPolicy } from "@/lib/policies/mutations";
import { previewPolicyAssignment, type PolicyImpact } from "@/lib/policies/impact";

const assign = serverAction("policies:edit", assignPolicySchema, async (input, viewer, now) => {
  await assignPolicy(input, `user:${viewer.userId}`, now);
  revalidatePath(`/dashboard/organizations/${input.organizationId}`);
  return { message: input.policyId ? "Policy changed." : "The organization now follows the default policy." };
});

/** Puts an organization on a policy, or back on the default (admin only). */
export async function assignPolicyAction(input: unknown) {
  return assign(input);
}

const preview = serverAction("policies:edit", assignPolicySchema, async (input, _viewer, now) => {
  const impact: PolicyImpact = await previewPolicyAssignment(input.organizationId, input.policyId, now);
  return { message: "", data: impact };
});

/** What a policy change would do to the organization's keys, before it is made (admin only; reads only). */
export async function previewPolicyAssignmentAction(input: unknown) {
  return preview(input);
}
