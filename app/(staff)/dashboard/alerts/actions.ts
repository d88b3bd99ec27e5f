"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { alertActionSchema, bulkAlertActionSchema, undoAcknowledgeSchema } from "@/lib/alerts/schemas";
import { acknowledgeAlert, acknowledgeAlerts, resolveAlert, resolveAlerts, undoAcknowledgeAlerts } from "@/lib/alerts/mutations";

const plural = (n: number) => `${n.toLocaleString("en")} alert${n === 1 ? "" : "s"}`;

/** Marks an alert as seen (admin, operator). */
export const acknowledgeAlertAction = serverAction("keys:rotate", alertActionSchema, async (input, { actor, now }) => {
  await acknowledgeAlert(input, { actor, now });
  revalidatePath("/dashboard/alerts");
  return { message: "Alert acknowledged." };
});

/** Closes an alert (admin, operator). */
export const resolveAlertAction = serverAction("keys:rotate", alertActionSchema, async (input, { actor, now }) => {
  await resolveAlert(input, { actor, now });
  revalidatePath("/dashboard/alerts");
  return { message: "Alert resolved." };
});

/** Acknowledges the selected alerts, or all matching a filter (admin, operator). */
export const acknowledgeAlertsAction = serverAction("keys:rotate", bulkAlertActionSchema, async (input, { actor, now }) => {
  const { alertIds, at } = await acknowledgeAlerts(input, { actor, now });
  revalidatePath("/dashboard/alerts");
  return {
    message: alertIds.length ? `Acknowledged ${plural(alertIds.length)}.` : "Nothing to acknowledge: those alerts are no longer open.",
    data: { alertIds, at: at.toISOString() },
  };
});

/** Resolves the selected alerts, or all matching a filter (admin, operator). */
export const resolveAlertsAction = serverAction("keys:rotate", bulkAlertActionSchema, async (input, { actor, now }) => {
  const { alertIds } = await resolveAlerts(input, { actor, now });
  revalidatePath("/dashboard/alerts");
  return { message: alertIds.length ? `Resolved ${plural(alertIds.length)}.` : "Nothing to resolve: those alerts are already resolved." };
});

/** Reopens the alerts of the viewer's last bulk acknowledgement that nobody has moved since (admin, operator). */
export const undoAcknowledgeAlertsAction = serverAction("keys:rotate", undoAcknowledgeSchema, async (input, { actor, now }) => {
  const { reopened } = await undoAcknowledgeAlerts(input, { actor, now });
  revalidatePath("/dashboard/alerts");
  return { message: reopened ? `Undone: ${plural(reopened)} open again.` : "Nothing to undo: those alerts have changed since." };
});
