"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { revokeTokenSchema, tokenNameSchema } from "@/lib/auth/schemas";
import { createManagementToken, revokeManagementToken } from "@/lib/auth/management-tokens";

const create = serverAction("tokens:manage", tokenNameSchema, async (input, viewer, now) => {
  const { token, secret } = await createManagementToken(input.name, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/tokens");
  return { message: `Token "${token.name}" created. Copy it now: it is not shown again.`, data: { secret } };
});

const revoke = serverAction("tokens:manage", revokeTokenSchema, async (input, viewer, now) => {
  const token = await revokeManagementToken(input.tokenId, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/tokens");
  return { message: `Token "${token.name}" revoked.` };
});

/** Creates a management API token, returned once (admin only). */
export async function createManagementTokenAction(input: unknown) {
  return create(input);
}

/** Revokes a management API token (admin only). */
export async function revokeManagementTokenAction(input: unknown) {
  return revoke(input);
}
