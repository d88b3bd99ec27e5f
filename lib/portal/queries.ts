import "server-only";
import { getPrisma } from "../db";
import { getEffectivePolicy } from "../policies/queries";
import { keyViewSelect } from "../keys/views";
import { rotationViewSelect } from "../rotations/views";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Everything a customer's portal reads is here, and every query takes the
 * customer's organization: a key of another organization is simply not found.
 */

/** The organization with its effective policy, for the portal's header and contacts page. */
export async function getPortalOrganization(organizationId: string) {
  const prisma = await getPrisma();
  const org = await prisma.organization.findUnique({ where: { id: organizationId }, select: { id: true, name: true, contactEmails: true, timeZone: true } });
  if (!org) return null;
  return { ...org, policy: await getEffectivePolicy(prisma, organizationId) };
}

const openRotationSelect = { ...rotationViewSelect, successor: { select: { id: true, prefix: true, status: true, lastUsedAt: true } } } as const;

/**
 * The organization's keys that still matter (active, in grace, and those
 * revoked or expired in the last 30 days), newest first, each with its open
 * rotation and when policy will next rotate it.
 */
export async function listPortalKeys(organizationId: string, now: Date) {
  const prisma = await getPrisma();
  const policy = await getEffectivePolicy(prisma, organizationId);
  const keys = await prisma.apiKey.findMany({
    where: { organizationId, OR: [{ status: { in: ["active", "expiring"] } }, { revokedAt: { gte: new Date(now.getTime() - 30 * DAY_MS) } }] },
    orderBy: [{ status: "asc" }, { createdAt: "desc" }],
    take: 500,
    select: { ...keyViewSelect, rotations: { where: { state: { in: ["scheduled", "grace"] } }, select: openRotationSelect, take: 1 } },
  });
  // Keys revoked at once in an emergency whose replacement the customer has not revealed yet.
  const unreplaced = await prisma.rotation.findMany({
    where: {
      keyId: { in: keys.filter((k) => k.status === "revoked").map((k) => k.id) },
      kind: "emergency",
      state: "completed",
      gracePeriodHours: 0,
      successorId: null,
    },
    select: { id: true, keyId: true, completedAt: true, reason: true },
  });
  const replacement = new Map(unreplaced.map((r) => [r.keyId, r]));
  return keys.map(({ rotations, ...key }) => ({
    ...key,
    openRotation: rotations[0] ?? null,
    awaitingReplacement: replacement.get(key.id) ?? null,
    nextRotationAt: nextRotationAt(key, rotations[0] ?? null, policy),
  }));
}

/** When policy rotates a key next: its scheduled rotation, else when a rotation would start so the grace ends at max age. */
function nextRotationAt(
  key: { status: string; createdAt: Date },
  open: { state: string; scheduledAt: Date } | null,
  policy: { maxAgeDays: number; gracePeriodHours: number },
) {
  if (key.status !== "active") return null;
  if (open?.state === "scheduled") return open.scheduledAt;
  return new Date(key.createdAt.getTime() + policy.maxAgeDays * DAY_MS - policy.gracePeriodHours * HOUR_MS);
}

/** One key of the organization with its rotations (newest first) and lineage, or null if it is not theirs. */
export async function getPortalKey(organizationId: string, keyId: string) {
  const prisma = await getPrisma();
  const key = await prisma.apiKey.findFirst({
    where: { id: keyId, organizationId },
    select: {
      ...keyViewSelect,
      predecessor: { select: { id: true, prefix: true, status: true } },
      successors: { select: { id: true, prefix: true, status: true, createdAt: true }, orderBy: { createdAt: "desc" } },
      rotations: { select: openRotationSelect, orderBy: { createdAt: "desc" }, take: 20 },
    },
  });
  if (!key) return null;
  const policy = await getEffectivePolicy(prisma, organizationId);
  const open = key.rotations.find((r) => r.state === "scheduled" || r.state === "grace") ?? null;
  return { ...key, openRotation: open, policy, nextRotationAt: nextRotationAt(key, open, policy) };
}

/** The organization's own history in the audit trail (what happened to its keys and contacts), newest first. */
export async function getPortalActivity(organizationId: string, limit = 20) {
  const prisma = await getPrisma();
  return prisma.auditEvent.findMany({
    where: { organizationId },
    orderBy: { seq: "desc" },
    take: limit,
    select: { seq: true, at: true, actor: true, action: true, keyFingerprint: true, keyId: true, reason: true },
  });
}

/**
 * Who did something, as a customer may read it: their own colleagues by
 * email; the API company's staff, tokens and the cron without naming them.
 */
export async function describeActors(actors: string[], organizationId: string): Promise<Map<string, string>> {
  const userIds = [...new Set(actors.filter((a) => a.startsWith("user:")).map((a) => a.slice(5)))];
  const prisma = await getPrisma();
  const users = userIds.length ? await prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true, organizationId: true } }) : [];
  const colleagues = new Map(users.filter((u) => u.organizationId === organizationId).map((u) => [`user:${u.id}`, u.email]));
  return new Map(
    actors.map((a) => [
      a,
      colleagues.get(a) ??
        (a === "system:cron" || a === "system:policy"
          ? "rekey, by policy"
          : a === "system:seed"
            ? "rekey"
            : a.startsWith("key:")
              ? `the key ${a.slice(4)}… itself (API)`
              : "the API company"),
    ]),
  );
}
