"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { updatePolicySchema } from "@/lib/policies/schemas";
import { updatePolicy } from "@/lib/policies/mutations";

/** Changes a rotation policy's settings (admin only). */
export const updatePolicyAction = serverAction("policies:edit", updatePolicySchema, async (input, { actor, now }) => {
  const policy = await updatePolicy(input, { actor, now });
  revalidatePath("/dashboard/policies");
  return { message: `Policy "${policy.name}" saved.` };
});
