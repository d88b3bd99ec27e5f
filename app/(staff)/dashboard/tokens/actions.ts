"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { revokeTokenSchema, tokenNameSchema } from "@/lib/auth/schemas";
import { createManagementToken, revokeManagementToken } from "@/lib/auth/management-tokens";

/** Creates a management API token, returned once (admin only). */
export const createManagementTokenAction = serverAction("tokens:manage", tokenNameSchema, async (input, { actor, now }) => {
  const { token, secret } = await createManagementToken(input.name, { actor, now });
  revalidatePath("/dashboard/tokens");
  return { message: `Token "${token.name}" created. Copy it now: it is not shown again.`, data: { secret } };
});

/** Revokes a management API token (admin only). */
export const revokeManagementTokenAction = serverAction("tokens:manage", revokeTokenSchema, async (input, { actor, now }) => {
  const token = await revokeManagementToken(input.tokenId, { actor, now });
  revalidatePath("/dashboard/tokens");
  return { message: `Token "${token.name}" revoked.` };
});
