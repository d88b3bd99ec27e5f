"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { bulkScheduleSchema } from "@/lib/rotations/schemas";
import { scheduleRotationsForFilter } from "@/lib/rotations/bulk";

const bulkSchedule = serverAction("keys:rotate", bulkScheduleSchema, async (input, viewer, now) => {
  const { scheduled, tooLate, tooLateMustStartBy } = await scheduleRotationsForFilter(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/keys");
  const late = tooLate
    ? ` ${tooLate.toLocaleString("en")} key${tooLate === 1 ? " was" : "s were"} left out: their policy makes them start rotating earlier (the first by ${tooLateMustStartBy!.toISOString()}); schedule them sooner or rotate them now.`
    : "";
  return {
    message: scheduled
      ? `Scheduled ${scheduled.toLocaleString("en")} rotation${scheduled === 1 ? "" : "s"}. Keys already rotating, or not active, were left alone.${late}`
      : `Nothing scheduled: every matching key is already rotating, not active, or due earlier.${late}`,
  };
});

/** Schedules a rotation for every key the filter matches (admin, operator). */
export async function bulkScheduleRotationsAction(input: unknown) {
  return bulkSchedule(input);
}
