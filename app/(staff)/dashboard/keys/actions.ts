"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { bulkScheduleSchema } from "@/lib/rotations/schemas";
import { scheduleRotationsForFilter } from "@/lib/rotations/bulk";

const bulkSchedule = serverAction("keys:rotate", bulkScheduleSchema, async (input, viewer, now) => {
  const { scheduled } = await scheduleRotationsForFilter(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/keys");
  return {
    message: scheduled
      ? `Scheduled ${scheduled.toLocaleString("en")} rotation${scheduled === 1 ? "" : "s"}. Keys already rotating, or not active, were left alone.`
      : "Nothing to schedule: every matching key is already rotating or not active.",
  };
});

/** Schedules a rotation for every key the filter matches (admin, operator). */
export async function bulkScheduleRotationsAction(input: unknown) {
  return bulkSchedule(input);
}
