"use server";

import { revalidatePath } from "next/cache";
import { formatUtcMinute } from "@/lib/time";
import { z } from "zod";
import { serverAction } from "@/lib/http/server-action";
import { requireRecentSignIn } from "@/lib/auth/authorize";
import { postponeRotationSchema } from "@/lib/rotations/schemas";
import { postponeRotation, rotateNow } from "@/lib/rotations/mutations";
import { rerollSuccessor, rerollSuccessorSchema, revealSuccessor, revealSuccessorSchema } from "@/lib/rotations/successor";
import { issueKey, revokeKey } from "@/lib/keys/mutations";
import { issueKeySchema, revokeKeySchema } from "@/lib/keys/schemas";
import { updateContacts } from "@/lib/organizations/mutations";
import { contactChangeSchema } from "@/lib/organizations/schemas";
import { reportLeakAction } from "@/lib/leaks/actions";

/** Revokes a pasted leaked key at once (a customer); the key is only hashed, and another organization's is not described. */
export const reportLeakedKeyAction = reportLeakAction("portal:use", "portal", "/portal");

// Every action here is the customer's, checked on the server: the role
// (portal:use or rotations:postpone) and, through scopeOf, their own
// organization. Another organization's key is "not found".

export interface RevealedKey {
  secret: string;
  prefix: string;
  graceEndsAt: string | null;
}

/** Reveals the new key of a rotation in grace, once (customer; signed in within 10 minutes). */
export const revealSuccessorAction = serverAction("portal:use", revealSuccessorSchema, async (input, { viewer, actor, scope, now }) => {
  requireRecentSignIn(viewer, now);
  const r = await revealSuccessor(input, { actor, now, scope });
  revalidatePath("/portal", "layout");
  return {
    message: `Your new key ${r.successor.prefix}… is below. Copy it now: it is not shown again.`,
    data: { secret: r.secret, prefix: r.successor.prefix, graceEndsAt: r.graceEndsAt?.toISOString() ?? null } satisfies RevealedKey,
  };
});

/** Replaces a lost new key: the lost one is revoked, the deadline stays (customer; recent sign-in). */
export const rerollSuccessorAction = serverAction("portal:use", rerollSuccessorSchema, async (input, { viewer, actor, scope, now }) => {
  requireRecentSignIn(viewer, now, "replace a lost key");
  const r = await rerollSuccessor(input, { actor, now, scope });
  revalidatePath("/portal", "layout");
  return {
    message: `The lost key ${r.revoked.prefix}… is revoked and ${r.successor.prefix}… replaces it; the deadline has not moved. Copy it now: it is not shown again.`,
    data: { secret: r.secret, prefix: r.successor.prefix, graceEndsAt: r.graceEndsAt?.toISOString() ?? null } satisfies RevealedKey,
  };
});

/** Postpones a scheduled rotation of the customer's key within policy. */
export const postponeOwnRotationAction = serverAction("rotations:postpone", postponeRotationSchema, async (input, { actor, scope, now }) => {
  const rotation = await postponeRotation(input, { actor, now, scope });
  revalidatePath("/portal", "layout");
  return {
    message: `Rotation postponed: it now starts ${formatUtcMinute(rotation.scheduledAt)} and the old key works until ${formatUtcMinute(rotation.graceEndsAt!)}.`,
  };
});

/** Rotates one of the customer's keys now, with the policy's grace. */
export const rotateOwnKeyAction = serverAction(
  "portal:use",
  z.object({ keyId: z.string().min(1, "is required") }),
  async (input, { viewer, actor, scope, now }) => {
    requireRecentSignIn(viewer, now, "rotate a key");
    const { rotation } = await rotateNow({ keyId: input.keyId, deliver: "portal", reason: "rotated by the customer in the portal" }, { actor, now, scope });
    revalidatePath("/portal", "layout");
    return { message: `Rotation started: reveal your new key below. The old key works until ${formatUtcMinute(rotation.graceEndsAt!)}.` };
  },
);

const customerIssueSchema = issueKeySchema.pick({ environment: true, name: true, scopes: true });

/** Creates a key for the customer's organization, where its policy allows (recent sign-in). */
export const issueOwnKeyAction = serverAction("portal:use", customerIssueSchema, async (input, { viewer, actor, scope, now }) => {
  requireRecentSignIn(viewer, now, "create a key");
  const { key, secret } = await issueKey({ ...input, organizationId: scope.organizationId! }, { actor, now, scope });
  revalidatePath("/portal", "layout");
  return {
    message: `Key ${key.prefix}… created. Copy it now: it is not shown again.`,
    data: { secret, prefix: key.prefix, graceEndsAt: null } satisfies RevealedKey,
  };
});

/** Revokes one of the customer's keys, where its policy allows. */
export const revokeOwnKeyAction = serverAction("portal:use", revokeKeySchema, async (input, { viewer, actor, scope, now }) => {
  requireRecentSignIn(viewer, now, "revoke a key");
  const key = await revokeKey(input, { actor, now, scope });
  revalidatePath("/portal", "layout");
  return { message: `Key ${key.prefix}… is revoked: it stops working now.` };
});

/** Adds or removes a notification contact, or sets the time zone of the emails. */
export const updateContactsAction = serverAction("portal:use", contactChangeSchema, async (input, { actor, scope, now }) => {
  const org = await updateContacts({ ...input, organizationId: scope.organizationId! }, { actor, now, scope });
  revalidatePath("/portal/contacts");
  return {
    message: input.add
      ? `${input.add} now gets rotation emails.`
      : input.remove
        ? `${input.remove} no longer gets rotation emails.`
        : `Dates in emails are now in ${org.timeZone}.`,
  };
});
