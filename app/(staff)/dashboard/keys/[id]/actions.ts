"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { formatUtcMinute } from "@/lib/time";
import { closeRotationSchema, rotationRequestSchema } from "@/lib/rotations/schemas";
import { cancelRotation, createRotation, rollbackRotation } from "@/lib/rotations/mutations";

const rotate = serverAction("keys:rotate", rotationRequestSchema, async (input, viewer, now) => {
  // Staff never see a key: the customer mints the successor in the portal.
  const { rotation } = await createRotation({ ...input, deliver: "portal" }, `user:${viewer.userId}`, now);
  revalidatePath(`/dashboard/keys/${input.keyId}`);
  const what =
    rotation.state === "scheduled"
      ? `Rotation scheduled for ${formatUtcMinute(rotation.scheduledAt)}.`
      : rotation.state === "completed"
        ? "Emergency rotation done: the old key is revoked."
        : `Rotation started: the old key works until ${formatUtcMinute(rotation.graceEndsAt!)}.`;
  return { message: what };
});

const cancel = serverAction("keys:rotate", closeRotationSchema, async (input, viewer, now) => {
  const rotation = await cancelRotation(input, `user:${viewer.userId}`, now);
  revalidatePath(`/dashboard/keys/${rotation.keyId}`);
  return { message: "Rotation cancelled." };
});

const rollback = serverAction("keys:rotate", closeRotationSchema, async (input, viewer, now) => {
  const rotation = await rollbackRotation(input, `user:${viewer.userId}`, now);
  revalidatePath(`/dashboard/keys/${rotation.keyId}`);
  return { message: "Rotation rolled back: the old key is active again." };
});

/** Schedules, starts or emergency-starts a rotation of a key (admin, operator). */
export async function rotateKeyAction(input: unknown) {
  return rotate(input);
}

/** Cancels a scheduled rotation (admin, operator). */
export async function cancelRotationAction(input: unknown) {
  return cancel(input);
}

/** Rolls back a rotation in grace (admin, operator). */
export async function rollbackRotationAction(input: unknown) {
  return rollback(input);
}
