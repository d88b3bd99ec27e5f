"use server";

import { revalidatePath } from "next/cache";
import { formatUtcMinute } from "@/lib/time";
import { z } from "zod";
import { serverAction } from "@/lib/http/server-action";
import { requireRecentSignIn } from "@/lib/auth/authorize";
import { scopeOf } from "@/lib/auth/scope";
import { postponeRotationSchema } from "@/lib/rotations/schemas";
import { postponeRotation, rotateNow } from "@/lib/rotations/mutations";
import { rerollSuccessor, rerollSuccessorSchema, revealSuccessor, revealSuccessorSchema } from "@/lib/rotations/successor";
import { issueKey, revokeKey } from "@/lib/keys/mutations";
import { issueKeySchema, revokeKeySchema } from "@/lib/keys/schemas";
import { updateContacts } from "@/lib/organizations/mutations";
import { contactChangeSchema } from "@/lib/organizations/schemas";
import { reportLeakAction } from "@/lib/leaks/actions";

const reportLeak = reportLeakAction("portal:use", "portal", "/portal");

/** Revokes a pasted leaked key at once (a customer); the key is only hashed, and another organization's is not described. */
export async function reportLeakedKeyAction(input: unknown) {
  return reportLeak(input);
}

// Every action here is the customer's, checked on the server: the role
// (portal:use or rotations:postpone) and, through scopeOf, their own
// organization. Another organization's key is "not found".

export interface RevealedKey {
  secret: string;
  prefix: string;
  graceEndsAt: string | null;
}

const reveal = serverAction("portal:use", revealSuccessorSchema, async (input, viewer, now) => {
  requireRecentSignIn(viewer, now);
  const r = await revealSuccessor(input, `user:${viewer.userId}`, now, scopeOf(viewer));
  revalidatePath("/portal", "layout");
  return {
    message: `Your new key ${r.successor.prefix}… is below. Copy it now: it is not shown again.`,
    data: { secret: r.secret, prefix: r.successor.prefix, graceEndsAt: r.graceEndsAt?.toISOString() ?? null } satisfies RevealedKey,
  };
});

const reroll = serverAction("portal:use", rerollSuccessorSchema, async (input, viewer, now) => {
  requireRecentSignIn(viewer, now, "replace a lost key");
  const r = await rerollSuccessor(input, `user:${viewer.userId}`, now, scopeOf(viewer));
  revalidatePath("/portal", "layout");
  return {
    message: `The lost key ${r.revoked.prefix}… is revoked and ${r.successor.prefix}… replaces it; the deadline has not moved. Copy it now: it is not shown again.`,
    data: { secret: r.secret, prefix: r.successor.prefix, graceEndsAt: r.graceEndsAt?.toISOString() ?? null } satisfies RevealedKey,
  };
});

const postpone = serverAction("rotations:postpone", postponeRotationSchema, async (input, viewer, now) => {
  const rotation = await postponeRotation(input, `user:${viewer.userId}`, now, scopeOf(viewer));
  revalidatePath("/portal", "layout");
  return {
    message: `Rotation postponed: it now starts ${formatUtcMinute(rotation.scheduledAt)} and the old key works until ${formatUtcMinute(rotation.graceEndsAt!)}.`,
  };
});

const rotateOwn = serverAction("portal:use", z.object({ keyId: z.string().min(1, "is required") }), async (input, viewer, now) => {
  requireRecentSignIn(viewer, now, "rotate a key");
  const { rotation } = await rotateNow(
    { keyId: input.keyId, deliver: "portal", reason: "rotated by the customer in the portal" },
    `user:${viewer.userId}`,
    now,
    scopeOf(viewer),
  );
  revalidatePath("/portal", "layout");
  return { message: `Rotation started: reveal your new key below. The old key works until ${formatUtcMinute(rotation.graceEndsAt!)}.` };
});

const customerIssueSchema = issueKeySchema.pick({ environment: true, name: true, scopes: true });

const issue = serverAction("portal:use", customerIssueSchema, async (input, viewer, now) => {
  requireRecentSignIn(viewer, now, "create a key");
  const scope = scopeOf(viewer);
  const { key, secret } = await issueKey({ ...input, organizationId: scope.organizationId! }, `user:${viewer.userId}`, now, scope);
  revalidatePath("/portal", "layout");
  return {
    message: `Key ${key.prefix}… created. Copy it now: it is not shown again.`,
    data: { secret, prefix: key.prefix, graceEndsAt: null } satisfies RevealedKey,
  };
});

const revoke = serverAction("portal:use", revokeKeySchema, async (input, viewer, now) => {
  requireRecentSignIn(viewer, now, "revoke a key");
  const key = await revokeKey(input, `user:${viewer.userId}`, now, scopeOf(viewer));
  revalidatePath("/portal", "layout");
  return { message: `Key ${key.prefix}… is revoked: it stops working now.` };
});

const contacts = serverAction("portal:use", contactChangeSchema, async (input, viewer, now) => {
  const scope = scopeOf(viewer);
  const org = await updateContacts({ ...input, organizationId: scope.organizationId! }, `user:${viewer.userId}`, now, scope);
  revalidatePath("/portal/contacts");
  return {
    message: input.add
      ? `${input.add} now gets rotation emails.`
      : input.remove
        ? `${input.remove} no longer gets rotation emails.`
        : `Dates in emails are now in ${org.timeZone}.`,
  };
});

/** Reveals the new key of a rotation in grace, once (customer; signed in within 10 minutes). */
export async function revealSuccessorAction(input: unknown) {
  return reveal(input);
}

/** Replaces a lost new key: the lost one is revoked, the deadline stays (customer; recent sign-in). */
export async function rerollSuccessorAction(input: unknown) {
  return reroll(input);
}

/** Postpones a scheduled rotation of the customer's key within policy. */
export async function postponeOwnRotationAction(input: unknown) {
  return postpone(input);
}

/** Rotates one of the customer's keys now, with the policy's grace. */
export async function rotateOwnKeyAction(input: unknown) {
  return rotateOwn(input);
}

/** Creates a key for the customer's organization, where its policy allows (recent sign-in). */
export async function issueOwnKeyAction(input: unknown) {
  return issue(input);
}

/** Revokes one of the customer's keys, where its policy allows. */
export async function revokeOwnKeyAction(input: unknown) {
  return revoke(input);
}

/** Adds or removes a notification contact, or sets the time zone of the emails. */
export async function updateContactsAction(input: unknown) {
  return contacts(input);
}
