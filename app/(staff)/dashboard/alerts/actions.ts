"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { alertActionSchema } from "@/lib/alerts/schemas";
import { acknowledgeAlert, resolveAlert } from "@/lib/alerts/mutations";

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

/** Marks an alert as seen (admin, operator). */
export async function acknowledgeAlertAction(input: unknown) {
  return acknowledge(input);
}

/** Closes an alert (admin, operator). */
export async function resolveAlertAction(input: unknown) {
  return resolve(input);
}
