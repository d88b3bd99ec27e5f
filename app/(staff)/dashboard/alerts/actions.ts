"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { alertActionSchema, bulkAlertActionSchema, undoAcknowledgeSchema } from "@/lib/alerts/schemas";
import { acknowledgeAlert, acknowledgeAlerts, resolveAlert, resolveAlerts, undoAcknowledgeAlerts } from "@/lib/alerts/mutations";

const plural = (n: number) => `${n.toLocaleString("en")} alert${n === 1 ? "" : "s"}`;

const acknowledge = serverAction("keys:rotate", alertActionSchema, async (input, viewer, now) => {
  await acknowledgeAlert(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/alerts");
  return { message: "Alert acknowledged." };
});

const resolve = serverAction("keys:rotate", alertActionSchema, async (input, viewer, now) => {
  await resolveAlert(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/alerts");
  return { message: "Alert resolved." };
});

const bulkAcknowledge = serverAction("keys:rotate", bulkAlertActionSchema, async (input, viewer, now) => {
  const { alertIds, at } = await acknowledgeAlerts(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/alerts");
  return {
    message: alertIds.length ? `Acknowledged ${plural(alertIds.length)}.` : "Nothing to acknowledge: those alerts are no longer open.",
    data: { alertIds, at: at.toISOString() },
  };
});

const bulkResolve = serverAction("keys:rotate", bulkAlertActionSchema, async (input, viewer, now) => {
  const { alertIds } = await resolveAlerts(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/alerts");
  return { message: alertIds.length ? `Resolved ${plural(alertIds.length)}.` : "Nothing to resolve: those alerts are already resolved." };
});

const undoAcknowledge = serverAction("keys:rotate", undoAcknowledgeSchema, async (input, viewer, now) => {
  const { reopened } = await undoAcknowledgeAlerts(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/alerts");
  return { message: reopened ? `Undone: ${plural(reopened)} open again.` : "Nothing to undo: those alerts have changed since." };
});

/** Marks an alert as seen (admin, operator). */
export async function acknowledgeAlertAction(input: unknown) {
  return acknowledge(input);
}

/** Closes an alert (admin, operator). */
export async function resolveAlertAction(input: unknown) {
  return resolve(input);
}

/** Acknowledges the selected alerts, or all matching a filter (admin, operator). */
export async function acknowledgeAlertsAction(input: unknown) {
  return bulkAcknowledge(input);
}

/** Resolves the selected alerts, or all matching a filter (admin, operator). */
export async function resolveAlertsAction(input: unknown) {
  return bulkResolve(input);
}

/** Reopens the alerts of the viewer's last bulk acknowledgement that nobody has moved since (admin, operator). */
export async function undoAcknowledgeAlertsAction(input: unknown) {
  return undoAcknowledge(input);
}
