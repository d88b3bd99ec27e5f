import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { serverAction } from "../http/server-action";
import type { Permission } from "../auth/permissions";
import { reportLeakedKeys, type LeakReporter } from "./report";

export const leakFormSchema = z.object({
  key: z.string().trim().min(1, "paste the key that leaked").max(1024, "must be at most 1024 characters"),
  url: z.string().trim().max(2000, "must be at most 2000 characters").optional(),
});

/**
 * "Report a leaked key", for the dashboard (staff who may rotate) and the
 * portal (a customer): the pasted key travels in the action's POST body only
 * and is only hashed. A key of another organization is acted on (it leaked),
 * but a customer learns nothing about it.
 */
export function reportLeakAction(permission: Permission, reporter: LeakReporter, revalidate: string) {
  return serverAction(permission, leakFormSchema, async (input, { actor, scope, now }) => {
    const [outcome] = await reportLeakedKeys([{ token: input.key, url: input.url || undefined, source: reporter }], reporter, { actor, now, scope });
    revalidatePath(revalidate, "layout");
    if (outcome.label === "false_positive") return { message: "That is not one of our keys (or it was typed with a mistake): nothing was changed." };
    if (!outcome.prefix) return { message: "Thank you: that key is revoked now." };
    return {
      message:
        outcome.action === "revoked"
          ? `Key ${outcome.prefix}… is revoked now, with every key made from it; its replacement waits in the portal and the customer's contacts are emailed.`
          : `Key ${outcome.prefix}… was already revoked; the report is recorded.`,
      data: { keyId: outcome.keyId },
    };
  });
}
