"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { assignPolicySchema } from "@/lib/policies/schemas";
import { assignPolicy } from "@/lib/policies/mutations";

const assign = serverAction("policies:edit", assignPolicySchema, async (input, viewer, now) => {
  await assignPolicy(input, `user:${viewer.userId}`, now);
  revalidatePath(`/dashboard/organizations/${input.organizationId}`);
  return { message: input.policyId ? "Policy changed." : "The organization now follows the default policy." };
});

/** Puts an organization on a policy, or back on the default (admin only). */
export async function assignPolicyAction(input: unknown) {
  return assign(input);
}
