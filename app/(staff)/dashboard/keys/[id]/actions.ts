"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { formatUtcMinute } from "@/lib/time";
import { closeRotationSchema, rotationRequestSchema } from "@/lib/rotations/schemas";
import { cancelRotation, createRotation, rollbackRotation } from "@/lib/rotations/mutations";

/** Schedules, starts or emergency-starts a rotation of a key (admin, operator). */
export const rotateKeyAction = serverAction("keys:rotate", rotationRequestSchema, async (input, { actor, now }) => {
  // Staff never see a key: the customer mints the successor in the portal.
  const { rotation } = await createRotation({ ...input, deliver: "portal" }, { actor, now });
  revalidatePath(`/dashboard/keys/${input.keyId}`);
  const what =
    rotation.state === "scheduled"
      ? `Rotation scheduled for ${formatUtcMinute(rotation.scheduledAt)}.`
      : rotation.state === "completed"
        ? "Emergency rotation done: the old key is revoked."
        : `Rotation started: the old key works until ${formatUtcMinute(rotation.graceEndsAt!)}.`;
  return { message: what };
});

/** Cancels a scheduled rotation (admin, operator). */
export const cancelRotationAction = serverAction("keys:rotate", closeRotationSchema, async (input, { actor, now }) => {
  const rotation = await cancelRotation(input, { actor, now });
  revalidatePath(`/dashboard/keys/${rotation.keyId}`);
  return { message: "Rotation cancelled." };
});

/** Rolls back a rotation in grace (admin, operator). */
export const rollbackRotationAction = serverAction("keys:rotate", closeRotationSchema, async (input, { actor, now }) => {
  const rotation = await rollbackRotation(input, { actor, now });
  revalidatePath(`/dashboard/keys/${rotation.keyId}`);
  return { message: "Rotation rolled back: the old key is active again." };
});
