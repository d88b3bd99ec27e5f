"use server";

import { z } from "zod";
import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { notificationIdSchema } from "@/lib/notifications/schemas";
import { retryNotification } from "@/lib/notifications/mutations";
import { deliverOutbox } from "@/lib/notifications/deliver";

/** Delivers what is due now instead of waiting for the cron (admins). */
export const deliverOutboxAction = serverAction("outbox:manage", z.object({}).default({}), async (_input, { now }) => {
  const r = await deliverOutbox(now, { budgetMs: 20_000 });
  revalidatePath("/dashboard/outbox");
  const parts = [`${r.sent} sent`, ...(r.retrying ? [`${r.retrying} will be retried`] : []), ...(r.failed ? [`${r.failed} failed`] : [])];
  return { message: r.sent + r.retrying + r.failed === 0 ? "Nothing was due: the outbox is empty." : `Delivered the due emails: ${parts.join(", ")}.` };
});

/** Queues a failed email again (admins). */
export const retryNotificationAction = serverAction("outbox:manage", notificationIdSchema, async (input, { actor, now }) => {
  await retryNotification(input, { actor, now });
  revalidatePath("/dashboard/outbox");
  return { message: "The email is queued again; the next delivery sends it." };
});
