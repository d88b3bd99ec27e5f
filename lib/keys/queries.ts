import "server-only";
import { getPrisma } from "../db";
import { NotFoundError } from "../errors";
import { rotationViewSelect } from "../rotations/views";
import { keyViewSelect } from "./views";

/** A key as the management API shows it: state, open rotation and deadline, never the key. */
export async function getKeyOrThrow(id: string) {
  const prisma = await getPrisma();
  const key = await prisma.apiKey.findUnique({
    where: { id },
    select: {
      ...keyViewSelect,
      organization: { select: { id: true, name: true } },
      rotations: { where: { openKeyId: { not: null } }, select: rotationViewSelect, take: 1 },
    },
  });
  if (!key) throw new NotFoundError("No such key.");
  const { rotations, ...rest } = key;
  return { ...rest, openRotation: rotations[0] ?? null };
}

export const KEY_PAGE_SIZE = 50;

export type KeyStatusFilter = "active" | "expiring" | "revoked" | "expired";

/** A page of keys, newest first, with organization and open rotation, for the keys list. */
export async function listKeys(options: { page: number; status?: KeyStatusFilter }) {
  const prisma = await getPrisma();
  const where = options.status ? { status: options.status } : {};
  const page = Math.max(1, Math.floor(options.page));
  const [total, keys] = await Promise.all([
    prisma.apiKey.count({ where }),
    prisma.apiKey.findMany({
      where,
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      skip: (page - 1) * KEY_PAGE_SIZE,
      take: KEY_PAGE_SIZE,
      select: {
        ...keyViewSelect,
        organization: { select: { name: true } },
        rotations: { where: { openKeyId: { not: null } }, select: { state: true, scheduledAt: true, graceEndsAt: true }, take: 1 },
      },
    }),
  ]);
  return { total, page, pageSize: KEY_PAGE_SIZE, keys: keys.map(({ rotations, ...k }) => ({ ...k, openRotation: rotations[0] ?? null })) };
}

/** A key with its organization, policy, rotations, predecessor and successors, for its detail page. */
export async function getKeyDetail(id: string) {
  const prisma = await getPrisma();
  const key = await prisma.apiKey.findUnique({
    where: { id },
    select: {
      ...keyViewSelect,
      organization: { select: { id: true, name: true, timeZone: true, policy: { select: { name: true, maxAgeDays: true } } } },
      predecessor: { select: { id: true, prefix: true, status: true } },
      successors: { select: { id: true, prefix: true, status: true, createdAt: true }, orderBy: { createdAt: "desc" } },
      rotations: { select: rotationViewSelect, orderBy: { createdAt: "desc" } },
    },
  });
  return key;
}

/** The key's history from the audit trail: its own events and its rotations', oldest first. */
export async function getKeyTimeline(keyId: string, rotationIds: string[]) {
  const prisma = await getPrisma();
  return prisma.auditEvent.findMany({
    where: { OR: [{ keyId }, ...(rotationIds.length ? [{ rotationId: { in: rotationIds } }] : [])] },
    orderBy: { seq: "asc" },
    take: 500,
    select: { seq: true, at: true, actor: true, action: true, keyFingerprint: true, reason: true, outcome: true },
  });
}
