"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { updatePolicySchema } from "@/lib/policies/schemas";
import { updatePolicy } from "@/lib/policies/mutations";

const update = serverAction("policies:edit", updatePolicySchema, async (input, viewer, now) => {
  const policy = await updatePolicy(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/policies");
  return { message: `Policy "${policy.name}" saved.` };
});

/** Changes a rotation policy's settings (admin only). */
export async function updatePolicyAction(input: unknown) {
  return update(input);
}
