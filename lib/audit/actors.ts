import "server-only";
import { getPrisma } from "../db";

/** An actor as staff read it: a person's name and email, a token's name; the raw actor for the hover. */
export interface ActorLabel {
  label: string;
  /** The actor as recorded (`user:<uuid>`, `token:<uuid>`, `system:cron`): the id behind the label. */
  id: string;
}

/**
 * Names the actors of audit events for staff views: `user:<id>` as
 * "Name <email>" (or the email), `token:<id>` as the token's name, the
 * system actors in words. One query per kind, whatever the number of events.
 * An actor whose user or token is gone keeps its raw form.
 */
export async function describeActorsForStaff(actors: string[]): Promise<Map<string, ActorLabel>> {
  const unique = [...new Set(actors)];
  const userIds = unique.filter((a) => a.startsWith("user:")).map((a) => a.slice(5));
  const tokenIds = unique.filter((a) => a.startsWith("token:")).map((a) => a.slice(6));
  const prisma = await getPrisma();
  const [users, tokens] = await Promise.all([
    userIds.length ? prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true, name: true } }) : [],
    tokenIds.length ? prisma.managementToken.findMany({ where: { id: { in: tokenIds } }, select: { id: true, name: true } }) : [],
  ]);
  const names = new Map<string, string>([
    ...users.map((u) => [`user:${u.id}`, u.name ? `${u.name} (${u.email})` : u.email] as [string, string]),
    ...tokens.map((t) => [`token:${t.id}`, `token “${t.name}”`] as [string, string]),
  ]);
  const SYSTEM: Record<string, string> = {
    "system:cron": "rekey's cron",
    "system:policy": "rekey, by policy",
    "system:seed": "rekey (demo data)",
    "system:restore": "rekey's restore",
    "system:github": "GitHub secret scanning",
    bootstrap: "the bootstrap token",
  };
  return new Map(unique.map((a) => [a, { id: a, label: names.get(a) ?? SYSTEM[a] ?? (a.startsWith("key:") ? `the key ${a.slice(4)}… itself` : a) }]));
}
